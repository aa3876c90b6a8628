using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Dsl.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.Parsing
{
    /// <summary>
    /// Turns an attributed class into a <see cref="NetworkModel"/>: reads [Input] and the layer attributes in source
    /// order, infers every layer's shape, and reports each mistake on the attribute (or class name) at fault.
    /// Never throws on user code: anything it cannot make sense of is either a diagnostic or, when the compiler
    /// already reports an error in an attribute argument, silently skipped.
    /// </summary>
    internal static class NetworkParser
    {
        public const string InputAttributeName = "Dsl.InputAttribute";
        public const string DenseAttributeName = "Dsl.DenseAttribute";
        private const string LayerAttributeBaseName = "Dsl.LayerAttribute";

        /// <summary>Every layer attribute the generator knows; each gets a pipeline that reports a missing [Input].</summary>
        public static readonly string[] LayerAttributeNames = { DenseAttributeName };

        /// <summary>Parses a class that carries [Input].</summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var syntax = (ClassDeclarationSyntax)context.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            LocationInfo? nameLocation = LocationInfo.From(syntax.Identifier.GetLocation());

            if (!symbol.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t
                                                              && t.Modifiers.Any(SyntaxKind.PartialKeyword)))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NotPartial, nameLocation, symbol.Name));
            if (symbol.IsGenericType)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.GenericClass, nameLocation, symbol.Name));
            if (symbol.ContainingType is { } container)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NestedClass, nameLocation, symbol.Name, container.Name));

            var attributes = symbol.GetAttributes()
                .Where(a => a.AttributeClass is { } type && (IsNamed(type, InputAttributeName) || DerivesFromLayer(type)))
                .Select(a => new ParsedAttribute(a, a.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax))
                .ToList();

            // Layer order is attribute order, which is only well defined within one declaration.
            if (attributes.Select(a => a.Syntax?.Parent?.Parent).Distinct().Count() > 1)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.LayersInSeveralDeclarations, nameLocation, symbol.Name));
                return Result(null, diagnostics);
            }

            // An argument the compiler could not bind (a typo, a wrong type) is already a compiler error: say no more.
            if (attributes.Any(a => a.Data.AttributeConstructor is null
                                    || a.Data.ConstructorArguments.Any(arg => arg.Kind == TypedConstantKind.Error)))
                return Result(null, diagnostics);

            ParsedAttribute input = attributes.First(a => IsNamed(a.Data.AttributeClass!, InputAttributeName));
            Shape? inputShape = ParseInput(input, diagnostics);
            var layerAttributes = attributes.Where(a => a != input).ToList();
            if (layerAttributes.Count == 0)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NoLayers, input.Location, symbol.Name));

            var layers = new List<LayerModel>();
            Shape? shape = inputShape; // unknown after a layer whose own sizes are wrong: later shapes are not checked
            for (int i = 0; i < layerAttributes.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ParsedAttribute attribute = layerAttributes[i];
                bool isLast = i == layerAttributes.Count - 1;
                LayerModel? layer = IsNamed(attribute.Data.AttributeClass!, DenseAttributeName)
                    ? ParseDense(attribute, i + 1, shape, diagnostics)
                    : Unsupported(attribute, diagnostics);

                if (layer?.Activation == ActivationKind.Softmax && !isLast)
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.SoftmaxNotLast, attribute.Location,
                        attribute.Text, Invariant(i + 1), Invariant(layerAttributes.Count)));
                if (isLast && layer is not null && layer.Activation != ActivationKind.Softmax)
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.LastLayerNotSoftmax, attribute.Location, attribute.Text, symbol.Name));

                if (layer is not null) layers.Add(layer);
                shape = layer?.Output;
            }

            bool failed = diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            NetworkModel? network = failed || inputShape is null ? null
                : new NetworkModel(
                    symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString(),
                    symbol.Name, inputShape.Value, layers.ToEquatableArray());
            return Result(network, diagnostics);
        }

        /// <summary>
        /// For a class that carries a layer attribute: DSL0002 when it has no [Input], reported once, by the pipeline
        /// of the class's first layer attribute. Null when the class has an [Input] (then <see cref="Parse"/> runs).
        /// </summary>
        public static DiagnosticInfo? ParseWithoutInput(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var all = symbol.GetAttributes();
            if (all.Any(a => a.AttributeClass is { } type && IsNamed(type, InputAttributeName))) return null;
            AttributeData? first = all.FirstOrDefault(a => a.AttributeClass is { } type && DerivesFromLayer(type));
            if (first is null || !SymbolEqualityComparer.Default.Equals(first.AttributeClass, context.Attributes[0].AttributeClass))
                return null;
            var location = first.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
            return Diagnostic(DiagnosticDescriptors.MissingInput, LocationInfo.From(location), symbol.Name);
        }

        private static Shape? ParseInput(ParsedAttribute input, List<DiagnosticInfo> diagnostics)
        {
            var args = input.Data.ConstructorArguments;
            string[] names = args.Length == 1 ? new[] { "size" } : new[] { "channels", "height", "width" };
            int[] sizes = args.Select(a => a.Value is int v ? v : 0).ToArray();
            bool valid = true;
            for (int i = 0; i < sizes.Length; i++)
                if (sizes[i] <= 0)
                {
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.NonPositiveSize, input.Location, input.Text, names[i], Invariant(sizes[i])));
                    valid = false;
                }
            if (!valid) return null;
            Shape shape = sizes.Length == 1 ? Shape.Flat(sizes[0]) : new Shape(sizes[0], sizes[1], sizes[2]);
            if (shape.Size > int.MaxValue)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, input.Location, input.Text, Invariant(shape.Size), "values per image", Invariant(int.MaxValue)));
                return null;
            }
            return shape;
        }

        private static LayerModel? ParseDense(ParsedAttribute attribute, int number, Shape? input, List<DiagnosticInfo> diagnostics)
        {
            var args = attribute.Data.ConstructorArguments;
            int units = args[0].Value is int u ? u : 0;
            int activationValue = args.Length > 1 && args[1].Value is int a ? a : (int)ActivationKind.Identity;
            bool valid = true;
            if (units <= 0)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NonPositiveSize, attribute.Location, attribute.Text, "units", Invariant(units)));
                valid = false;
            }
            if (activationValue < (int)ActivationKind.Identity || activationValue > (int)ActivationKind.Softmax)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnknownActivation, attribute.Location, attribute.Text, Invariant(activationValue)));
                valid = false;
            }
            if (!valid || input is null) return null;
            long weights = input.Value.Size * units;
            if (weights > int.MaxValue)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, attribute.Location, attribute.Text,
                    Invariant(input.Value.Size) + "×" + Invariant(units), "weights", Invariant(int.MaxValue)));
                return null;
            }
            return new DenseLayer(number, input.Value, units, (ActivationKind)activationValue);
        }

        private static LayerModel? Unsupported(ParsedAttribute attribute, List<DiagnosticInfo> diagnostics)
        {
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnsupportedLayer, attribute.Location, attribute.Data.AttributeClass!.Name));
            return null;
        }

        private static bool IsNamed(INamedTypeSymbol type, string fullName) => type.ToDisplayString() == fullName;

        private static bool DerivesFromLayer(INamedTypeSymbol type)
        {
            for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
                if (IsNamed(t, LayerAttributeBaseName)) return true;
            return false;
        }

        private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        private static DiagnosticInfo Diagnostic(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
            new DiagnosticInfo(descriptor, location, arguments.ToEquatableArray());

        private static ParseResult Result(NetworkModel? network, List<DiagnosticInfo> diagnostics) =>
            new ParseResult(network, diagnostics.ToEquatableArray());

        /// <summary>An attribute with its syntax: the location and text that diagnostics quote.</summary>
        private sealed class ParsedAttribute
        {
            public ParsedAttribute(AttributeData data, AttributeSyntax? syntax)
            {
                Data = data;
                Syntax = syntax;
                Location = LocationInfo.From(syntax?.GetLocation());
                Text = syntax is null ? data.AttributeClass?.Name ?? "?" : string.Join(" ", syntax.ToString().Split((char[]?)null, System.StringSplitOptions.RemoveEmptyEntries));
            }

            public AttributeData Data { get; }
            public AttributeSyntax? Syntax { get; }
            public LocationInfo? Location { get; }

            /// <summary>The attribute as written, whitespace normalised, e.g. "Dense(500, Tanh)".</summary>
            public string Text { get; }
        }
    }
}
