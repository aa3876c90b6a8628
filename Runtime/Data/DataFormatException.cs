namespace Dsl.Data;

/// <summary>
/// A data file exists and could be read, but its contents are wrong: not an IDX file, an unsupported type or rank,
/// impossible sizes, truncated or trailing data, corrupt gzip, or labels that do not fit the images. The message
/// names the file and the exact problem.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> rather than <see cref="FormatException"/>: a bad data file is almost always
/// a broken or wrong download, and callers that load a data set already handle <see cref="IOException"/> for missing
/// or unreadable files, so one <c>catch</c> covers "this data cannot be used". (<see cref="FormatException"/> is for
/// malformed strings in parsing APIs.)
/// </remarks>
public sealed class DataFormatException : IOException
{
    /// <summary>Creates the exception with a message that names the file and the problem.</summary>
    public DataFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message that names the file and the problem, and its cause.</summary>
    public DataFormatException(string message, Exception? innerException) : base(message, innerException) { }
}
