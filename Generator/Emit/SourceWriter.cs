using System.Text;

namespace Dsl.Generator.Emit
{
    /// <summary>Builds C# text with four-space indentation and '\n' line ends, so output is identical on every OS.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/> and an opening brace, and indents until <see cref="Close"/>.</summary>
        public SourceWriter Open(string header)
        {
            Line(header);
            Line("{");
            _indent++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            _indent--;
            return Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
