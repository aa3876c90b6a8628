using System.Globalization;

namespace Dsl.Generator.Emit
{
    internal static class Sizes
    {
        /// <summary>A size as a C# literal.</summary>
        public static string Of(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>A size for comments, with thousands separators: "392,500".</summary>
        public static string Readable(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
    }
}
