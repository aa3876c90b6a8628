using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Dsl.Generator.Model
{
    /// <summary>A location as plain values, so it can live in a cached model without keeping a syntax tree alive.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
    }

    /// <summary>A diagnostic to report, as values: descriptor (a static instance), location and message arguments.</summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.Items.CastArray<object>().ToArray());
    }

    /// <summary>What parsing one class yields: the model when it can be generated, and every diagnostic.</summary>
    internal sealed record ParseResult(NetworkModel? Network, EquatableArray<DiagnosticInfo> Diagnostics);
}
