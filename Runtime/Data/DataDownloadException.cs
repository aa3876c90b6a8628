namespace Dsl.Data;

/// <summary>
/// A data set could not be fetched: npm is missing or failed, or the package did not match its published integrity
/// or lacked the expected files. The message says what went wrong and how to supply the data by hand.
/// </summary>
/// <remarks>Derives from <see cref="IOException"/> for the same reason as <see cref="DataFormatException"/>: callers
/// handle "the data is not usable" with one <c>catch</c>.</remarks>
public sealed class DataDownloadException : IOException
{
    /// <summary>Creates the exception with a message that says what failed.</summary>
    public DataDownloadException(string message) : base(message) { }

    /// <summary>Creates the exception with a message that says what failed, and its cause.</summary>
    public DataDownloadException(string message, Exception? innerException) : base(message, innerException) { }
}
