using System.Collections.Generic;
using System.Globalization;
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
        public const string ConvAttributeName = "Dsl.ConvAttribute";
        public const string MaxPoolAttributeName = "Dsl.MaxPoolAttribute";
        public const string RbmAttributeName = "Dsl.RbmAttribute";
        private const string LayerAttributeBaseName = "Dsl.LayerAttribute";

        /// <summary>Every layer attribute the generator knows; each gets a pipeline that reports a missing [Input].</summary>
        public static readonly string[] LayerAttributeNames = { DenseAttributeName, ConvAttributeName, MaxPoolAttributeName, RbmAttributeName };

        /// <summary>Names the generated part adds to the class, which the class itself therefore cannot have.</summary>
        private static readonly string[] GeneratedMemberNames =
        {
            "Cpu", "Gpu", "T", "Info", "Create", "InputChannels", "InputHeight", "InputWidth", "InputSize", "Classes", "ParameterCount",
        };

        /// <summary>The members the generated part adds to the class, described for DSL0024 ("T" is only a type parameter
        /// of the nested classes, so a member may have that name).</summary>
        private static readonly (string Name, string Description)[] GeneratedMembers =
        {
            ("Cpu", "the nested class Cpu<T> (the CPU network)"), ("Gpu", "the nested class Gpu (the ILGPU network)"),
            ("Info", "the static property Info (the NetworkInfo)"), ("Create", "the static method Create(device, batchCapacity, seed)"),
            ("InputChannels", "the constant InputChannels"), ("InputHeight", "the constant InputHeight"), ("InputWidth", "the constant InputWidth"),
            ("InputSize", "the constant InputSize"), ("Classes", "the constant Classes"), ("ParameterCount", "the constant ParameterCount"),
        };

        /// <summary>Parses a class that carries [Input].</summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var syntax = (TypeDeclarationSyntax)context.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            // While a declaration is typed ("partial class " and no name yet) the compiler reports the missing name;
            // a network of that class would be named "" (uncompilable code), and a diagnostic on the name has no span.
            if (syntax.Identifier.IsMissing || symbol.Name.Length == 0)
                return Result(null, diagnostics);
            LocationInfo? nameLocation = LocationInfo.From(syntax.Identifier.GetLocation());
            CheckClass(symbol, nameLocation, diagnostics, cancellationToken);

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

            // An argument the compiler could not bind (a typo, a wrong type) is already a compiler error; an attribute
            // of the right name but another shape is not ours. Either way: say no more, generate nothing.
            if (attributes.Any(a => !HasExpectedArguments(a.Data)))
                return Result(null, diagnostics);

            // A second [Input] is the compiler's error (CS0579, the attribute allows one); the class has no single input
            // to build on, and the second one is no layer either: say no more, generate nothing.
            if (attributes.Count(a => IsNamed(a.Data.AttributeClass!, InputAttributeName)) > 1)
                return Result(null, diagnostics);

            int inputIndex = attributes.FindIndex(a => IsNamed(a.Data.AttributeClass!, InputAttributeName));
            ParsedAttribute input = attributes[inputIndex];
            if (inputIndex > 0)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.InputNotFirst, input.Location, input.Text));
            Shape? inputShape = ParseInput(input, diagnostics);
            var layerAttributes = attributes.Where(a => a != input).ToList();
            if (layerAttributes.Count == 0)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NoLayers, input.Location, symbol.Name));

            var layers = new List<LayerModel>();
            Shape? shape = inputShape; // unknown after a layer whose own sizes are wrong: later shapes are not checked
            string producer = input.Text;
            for (int i = 0; i < layerAttributes.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ParsedAttribute attribute = layerAttributes[i];
                INamedTypeSymbol type = attribute.Data.AttributeClass!;
                bool isDense = IsNamed(type, DenseAttributeName), isConv = IsNamed(type, ConvAttributeName), isPool = IsNamed(type, MaxPoolAttributeName);
                bool isRbm = IsNamed(type, RbmAttributeName);
                if (!isDense && !isConv && !isPool && !isRbm)
                {
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnsupportedLayer, attribute.Location, type.Name));
                    shape = null;
                    producer = attribute.Text;
                    continue;
                }

                // The activation rules hold whatever the sizes are, so they are checked even when a shape is unknown.
                ActivationKind? activation = isPool ? ActivationKind.Identity
                    : isRbm ? ActivationKind.Sigmoid
                    : ParseActivation(attribute, isDense ? 1 : 3, diagnostics);
                bool isLast = i == layerAttributes.Count - 1;
                if (activation == ActivationKind.Softmax && !isLast)
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.SoftmaxNotLast, attribute.Location,
                        attribute.Text, Invariant(i + 1), Invariant(layerAttributes.Count)));
                if (isLast && activation is { } a && !(isDense && a == ActivationKind.Softmax))
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.LastLayerNotSoftmax, attribute.Location, attribute.Text, symbol.Name));

                LayerModel? layer = isDense ? ParseDense(attribute, i + 1, shape, activation, diagnostics)
                    : isConv ? ParseConv(attribute, i + 1, shape, activation, producer, diagnostics)
                    : isPool ? ParseMaxPool(attribute, i + 1, shape, producer, diagnostics)
                    : ParseRbm(attribute, i + 1, shape, i == 0 || IsNamed(layerAttributes[i - 1].Data.AttributeClass!, RbmAttributeName),
                        producer, diagnostics);
                if (layer is not null) layers.Add(layer);
                shape = layer?.Output;
                producer = attribute.Text;
            }

            bool failed = diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            NetworkModel? network = failed || inputShape is null ? null
                : new NetworkModel(NamespaceOf(symbol), symbol.Name, symbol.IsRecord, inputShape.Value, layers.ToEquatableArray());
            return Result(network, diagnostics);
        }

        /// <summary>
        /// For a declaration that carries a layer attribute: DSL0002 when the class has no [Input], reported once per
        /// class, on its first layer attribute, by the pipeline of its first known layer kind and the declaration that
        /// holds it. Null otherwise (a class with [Input] is <see cref="Parse"/>'s).
        /// </summary>
        public static DiagnosticInfo? ParseWithoutInput(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var all = symbol.GetAttributes();
            if (all.Any(a => a.AttributeClass is { } type && IsNamed(type, InputAttributeName))) return null;
            AttributeData? firstLayer = all.FirstOrDefault(a => a.AttributeClass is { } type && DerivesFromLayer(type));
            AttributeData? firstKnown = all.FirstOrDefault(a => a.AttributeClass is { } type && LayerAttributeNames.Any(n => IsNamed(type, n)));
            if (firstLayer?.ApplicationSyntaxReference is not { } reference || firstKnown is null
                || !SymbolEqualityComparer.Default.Equals(firstKnown.AttributeClass, context.Attributes[0].AttributeClass)
                || reference.SyntaxTree != context.TargetNode.SyntaxTree || !context.TargetNode.Span.Contains(reference.Span))
                return null;
            var location = reference.GetSyntax(cancellationToken).GetLocation();
            return Diagnostic(DiagnosticDescriptors.MissingInput, LocationInfo.From(location), symbol.Name);
        }

        /// <summary>Mistakes in the class itself, reported on its name.</summary>
        private static void CheckClass(INamedTypeSymbol symbol, LocationInfo? nameLocation, List<DiagnosticInfo> diagnostics,
            CancellationToken cancellationToken)
        {
            if (!symbol.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t
                                                              && t.Modifiers.Any(SyntaxKind.PartialKeyword)))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NotPartial, nameLocation, symbol.Name));
            if (symbol.IsGenericType)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.GenericClass, nameLocation, symbol.Name));
            if (symbol.ContainingType is { } container)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NestedClass, nameLocation, symbol.Name, container.Name));
            if (symbol.IsFileLocal)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.FileLocalClass, nameLocation, symbol.Name));
            if (GeneratedMemberNames.Contains(symbol.Name))
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.ReservedName, nameLocation, symbol.Name));
            foreach ((string name, string description) in GeneratedMembers)
                foreach (ISymbol member in symbol.GetMembers(name))
                    if (!member.IsImplicitlyDeclared && member.Locations.FirstOrDefault(l => l.IsInSource) is { } location)
                        diagnostics.Add(Diagnostic(DiagnosticDescriptors.MemberNameTaken, LocationInfo.From(location), symbol.Name, name, description));
            for (INamedTypeSymbol? baseType = symbol.BaseType; baseType is not null; baseType = baseType.BaseType)
                if (baseType.GetAttributes().Any(a => a.AttributeClass is { } type && IsNamed(type, InputAttributeName)))
                {
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.DerivesFromNetwork, nameLocation, symbol.Name, baseType.Name));
                    break;
                }
        }

        /// <summary>Whether the arguments have the types and count our attributes' constructors give them.</summary>
        private static bool HasExpectedArguments(AttributeData data)
        {
            if (data.AttributeConstructor is null) return false;
            var args = data.ConstructorArguments;
            if (args.Any(arg => arg.Kind == TypedConstantKind.Error || arg.Value is not int)) return false;
            // Named arguments: the compiler has typed them by their properties (int, bool or double).
            if (data.NamedArguments.Any(arg => arg.Value.Kind == TypedConstantKind.Error || arg.Value.Value is not (int or bool or double))) return false;
            if (IsNamed(data.AttributeClass!, InputAttributeName)) return args.Length == 1 || args.Length == 3;
            if (IsNamed(data.AttributeClass!, DenseAttributeName)) return args.Length == 2;
            if (IsNamed(data.AttributeClass!, ConvAttributeName)) return args.Length == 4;
            if (IsNamed(data.AttributeClass!, MaxPoolAttributeName)) return args.Length == 1;
            if (IsNamed(data.AttributeClass!, RbmAttributeName)) return args.Length == 1;
            return true; // an unknown layer: reported as unsupported
        }

        private static Shape? ParseInput(ParsedAttribute input, List<DiagnosticInfo> diagnostics)
        {
            var args = input.Data.ConstructorArguments;
            string[] names = args.Length == 1 ? new[] { "size" } : new[] { "channels", "height", "width" };
            int[] sizes = args.Select(a => (int)a.Value!).ToArray();
            bool valid = true;
            for (int i = 0; i < sizes.Length; i++)
                if (sizes[i] <= 0)
                {
                    diagnostics.Add(Diagnostic(DiagnosticDescriptors.NonPositiveSize, input.Location, input.Text, names[i], Invariant(sizes[i])));
                    valid = false;
                }
            if (!valid) return null;
            Shape shape = sizes.Length == 1 ? Shape.Flat(sizes[0]) : Shape.Image(sizes[0], sizes[1], sizes[2]);
            if (shape.Size > int.MaxValue)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, input.Location, input.Text, Invariant(shape.Size), "values per image", Invariant(int.MaxValue)));
                return null;
            }
            return shape;
        }

        /// <summary>The layer's activation (constructor argument <paramref name="position"/>), or null (and DSL0005)
        /// when the value is not an activation.</summary>
        private static ActivationKind? ParseActivation(ParsedAttribute attribute, int position, List<DiagnosticInfo> diagnostics)
        {
            int value = (int)attribute.Data.ConstructorArguments[position].Value!;
            if (value >= (int)ActivationKind.Identity && value <= (int)ActivationKind.Softmax) return (ActivationKind)value;
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.UnknownActivation, attribute.Location, attribute.Text, Invariant(value)));
            return null;
        }

        private static LayerModel? ParseDense(ParsedAttribute attribute, int number, Shape? input, ActivationKind? activation,
            List<DiagnosticInfo> diagnostics)
        {
            int units = (int)attribute.Data.ConstructorArguments[0].Value!;
            if (units <= 0)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NonPositiveSize, attribute.Location, attribute.Text, "units", Invariant(units)));
                return null;
            }
            if (activation == ActivationKind.Softmax && units < 2)
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.SingleClassSoftmax, attribute.Location, attribute.Text));
            if (input is null || activation is null) return null;
            long weights = input.Value.Size * units;
            if (weights > int.MaxValue)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, attribute.Location, attribute.Text,
                    Invariant(input.Value.Size) + "×" + Invariant(units), "weights", Invariant(int.MaxValue)));
                return null;
            }
            return new DenseLayer(number, input.Value, units, activation.Value);
        }

        private static LayerModel? ParseConv(ParsedAttribute attribute, int number, Shape? input, ActivationKind? activation,
            string producer, List<DiagnosticInfo> diagnostics)
        {
            var args = attribute.Data.ConstructorArguments;
            int kernelHeight = (int)args[0].Value!, kernelWidth = (int)args[1].Value!, filters = (int)args[2].Value!;
            int stride = NamedInt(attribute, "Stride", 1), padding = NamedInt(attribute, "Padding", 0);
            bool valid = Positive(attribute, "kernelHeight", kernelHeight, diagnostics) & Positive(attribute, "kernelWidth", kernelWidth, diagnostics)
                         & Positive(attribute, "filters", filters, diagnostics) & Positive(attribute, "Stride", stride, diagnostics);
            if (padding < 0)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NegativeSize, attribute.Location, attribute.Text, "Padding", Invariant(padding)));
                valid = false;
            }
            if (!valid || input is null || activation is null || !IsImage(attribute, input.Value, producer, diagnostics)) return null;

            Shape image = input.Value;
            if (kernelHeight > image.Height + 2L * padding || kernelWidth > image.Width + 2L * padding)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.WindowTooLarge, attribute.Location, attribute.Text,
                    Invariant(kernelHeight) + "×" + Invariant(kernelWidth), image.ToString(),
                    padding == 0 ? string.Empty : " padded by " + Invariant(padding)));
                return null;
            }
            long weights = (long)filters * image.Channels * kernelHeight * kernelWidth;
            long outputs = (long)filters * ConvLayer.OutputSide(image.Height, kernelHeight, stride, padding) * ConvLayer.OutputSide(image.Width, kernelWidth, stride, padding);
            if (weights > int.MaxValue || outputs > int.MaxValue)
            {
                bool tooManyWeights = weights > int.MaxValue;
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, attribute.Location, attribute.Text,
                    Invariant(tooManyWeights ? weights : outputs), tooManyWeights ? "weights" : "values per image", Invariant(int.MaxValue)));
                return null;
            }
            return new ConvLayer(number, image, kernelHeight, kernelWidth, filters, stride, padding, activation.Value);
        }

        private static LayerModel? ParseMaxPool(ParsedAttribute attribute, int number, Shape? input, string producer, List<DiagnosticInfo> diagnostics)
        {
            int size = (int)attribute.Data.ConstructorArguments[0].Value!;
            int stride = NamedInt(attribute, "Stride", size);
            // An unset stride follows the size: report it only when the user wrote it.
            bool valid = Positive(attribute, "size", size, diagnostics)
                         & (!HasNamed(attribute, "Stride") || Positive(attribute, "Stride", stride, diagnostics));
            if (!valid || input is null || !IsImage(attribute, input.Value, producer, diagnostics)) return null;

            Shape image = input.Value;
            if (size > image.Height || size > image.Width)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.WindowTooLarge, attribute.Location, attribute.Text,
                    Invariant(size) + "×" + Invariant(size), image.ToString(), string.Empty));
                return null;
            }
            int rowsLeft = (image.Height - size) % stride, columnsLeft = (image.Width - size) % stride;
            if (rowsLeft != 0 || columnsLeft != 0)
            {
                string why = stride == size
                    ? $"{Invariant(rowsLeft != 0 ? image.Height : image.Width)} is not a multiple of {Invariant(size)}"
                    : $"{Invariant(rowsLeft != 0 ? image.Height : image.Width)} − {Invariant(size)} is not a multiple of the stride {Invariant(stride)}";
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.PoolRemainder, attribute.Location, attribute.Text,
                    Invariant(image.Height) + "×" + Invariant(image.Width), producer, why));
                return null;
            }
            return new MaxPoolLayer(number, image, size, stride);
        }

        private static LayerModel? ParseRbm(ParsedAttribute attribute, int number, Shape? input, bool followsInputOrRbm, string producer,
            List<DiagnosticInfo> diagnostics)
        {
            int hidden = (int)attribute.Data.ConstructorArguments[0].Value!;
            int gibbsSteps = NamedInt(attribute, "GibbsSteps", RbmLayer.DefaultGibbsSteps), epochs = NamedInt(attribute, "Epochs", RbmLayer.DefaultEpochs);
            double learningRate = RbmLayer.DefaultLearningRate;
            bool persistent = false;
            foreach (var argument in attribute.Data.NamedArguments)
            {
                if (argument.Key == "LearningRate" && argument.Value.Value is double rate) learningRate = rate;
                if (argument.Key == "Persistent" && argument.Value.Value is bool value) persistent = value;
            }

            bool valid = Positive(attribute, "hidden", hidden, diagnostics);
            if (!followsInputOrRbm)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.RbmPlacement, attribute.Location, attribute.Text, producer));
                valid = false;
            }
            if (gibbsSteps < 1 || gibbsSteps > RbmLayer.MaxGibbsSteps)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.OutOfRange, attribute.Location, attribute.Text, "GibbsSteps",
                    "between 1 and " + Invariant(RbmLayer.MaxGibbsSteps), Invariant(gibbsSteps)));
                valid = false;
            }
            if (!(learningRate > 0 && learningRate <= double.MaxValue))
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.OutOfRange, attribute.Location, attribute.Text, "LearningRate",
                    "positive and finite", learningRate.ToString("R", CultureInfo.InvariantCulture)));
                valid = false;
            }
            if (epochs < 0)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.NegativeSize, attribute.Location, attribute.Text, "Epochs", Invariant(epochs)));
                valid = false;
            }
            if (!valid || input is null) return null;
            long weights = input.Value.Size * hidden;
            if (weights > int.MaxValue)
            {
                diagnostics.Add(Diagnostic(DiagnosticDescriptors.TooLarge, attribute.Location, attribute.Text,
                    Invariant(input.Value.Size) + "×" + Invariant(hidden), "weights", Invariant(int.MaxValue)));
                return null;
            }
            return new RbmLayer(number, input.Value, hidden, gibbsSteps, persistent, learningRate, epochs);
        }

        /// <summary>Convolution and pooling read images; after a Dense layer (or a vector input) there is none: DSL0021.</summary>
        private static bool IsImage(ParsedAttribute attribute, Shape input, string producer, List<DiagnosticInfo> diagnostics)
        {
            if (input.IsImage) return true;
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NeedsImage, attribute.Location, attribute.Text, producer, Invariant(input.Size)));
            return false;
        }

        private static bool Positive(ParsedAttribute attribute, string name, int value, List<DiagnosticInfo> diagnostics)
        {
            if (value > 0) return true;
            diagnostics.Add(Diagnostic(DiagnosticDescriptors.NonPositiveSize, attribute.Location, attribute.Text, name, Invariant(value)));
            return false;
        }

        private static bool HasNamed(ParsedAttribute attribute, string name) =>
            attribute.Data.NamedArguments.Any(argument => argument.Key == name);

        private static int NamedInt(ParsedAttribute attribute, string name, int fallback)
        {
            foreach (var argument in attribute.Data.NamedArguments)
                if (argument.Key == name && argument.Value.Value is int value) return value;
            return fallback;
        }

        /// <summary>The namespace as plain names ("Nets.event", not "Nets.@event"), or null for the global namespace.</summary>
        private static string? NamespaceOf(INamedTypeSymbol symbol)
        {
            var parts = new List<string>();
            for (INamespaceSymbol? ns = symbol.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
                parts.Insert(0, ns.Name);
            return parts.Count == 0 ? null : string.Join(".", parts);
        }

        private static bool IsNamed(INamedTypeSymbol type, string fullName) => type.ToDisplayString() == fullName;

        private static bool DerivesFromLayer(INamedTypeSymbol type)
        {
            for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
                if (IsNamed(t, LayerAttributeBaseName)) return true;
            return false;
        }

        private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

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
                Text = syntax is null
                    ? data.AttributeClass?.Name ?? "?"
                    : string.Join(" ", syntax.ToString().Split((char[]?)null, System.StringSplitOptions.RemoveEmptyEntries));
            }

            public AttributeData Data { get; }
            public AttributeSyntax? Syntax { get; }
            public LocationInfo? Location { get; }

            /// <summary>The attribute as written, whitespace normalised, e.g. "Dense(500, Tanh)".</summary>
            public string Text { get; }
        }
    }
}
