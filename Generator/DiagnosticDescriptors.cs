using Microsoft.CodeAnalysis;

namespace Dsl.Generator
{
    /// <summary>Every mistake the generator reports, with stable ids. Ids are never reused or renumbered.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "Dsl";

        public static readonly DiagnosticDescriptor NotPartial = Error("DSL0001",
            "Network class must be partial",
            "Network class '{0}' must be declared 'partial' so the generator can add its layers to it");

        public static readonly DiagnosticDescriptor MissingInput = Error("DSL0002",
            "Network has no [Input]",
            "'{0}' declares layers but no [Input(...)]; add one before the first layer, e.g. [Input(784)] or [Input(1, 28, 28)]");

        public static readonly DiagnosticDescriptor NonPositiveSize = Error("DSL0003",
            "Size must be positive",
            "{0}: {1} must be positive, but is {2}");

        public static readonly DiagnosticDescriptor SoftmaxNotLast = Error("DSL0004",
            "Softmax only on the last layer",
            "{0} is layer {1} of {2}: Softmax is only allowed on the last layer, where it pairs with the negative log-likelihood");

        public static readonly DiagnosticDescriptor UnknownActivation = Error("DSL0005",
            "Unknown activation",
            "{0}: {1} is not an activation; use Identity, Sigmoid, Tanh, Relu or Softmax");

        public static readonly DiagnosticDescriptor GenericClass = Error("DSL0006",
            "Network class cannot be generic",
            "Network class '{0}' is generic; a network's shapes are fixed at compile time, so declare it on a non-generic class");

        public static readonly DiagnosticDescriptor NestedClass = Error("DSL0007",
            "Network class cannot be nested",
            "Network class '{0}' is nested inside '{1}'; declare networks as top-level classes");

        public static readonly DiagnosticDescriptor NoLayers = Error("DSL0008",
            "Network has no layers",
            "'{0}' has an [Input] but no layers; add layers after it, e.g. [Dense(10, Softmax)]");

        public static readonly DiagnosticDescriptor LastLayerNotSoftmax = Error("DSL0009",
            "Last layer must be Softmax",
            "{0} ends '{1}', but a classifier must end with a Dense Softmax layer (its loss is the negative log-likelihood), e.g. [Dense(10, Softmax)]");

        public static readonly DiagnosticDescriptor LayersInSeveralDeclarations = Error("DSL0010",
            "Layers split across partial declarations",
            "'{0}' has network attributes on more than one partial declaration, so their order is ambiguous; put [Input] and all layers on one declaration");

        public static readonly DiagnosticDescriptor TooLarge = Error("DSL0011",
            "Layer too large",
            "{0} needs {1} {2}, more than the {3} one array can hold");

        public static readonly DiagnosticDescriptor UnsupportedLayer = Error("DSL0012",
            "Unsupported layer attribute",
            "'{0}' derives from LayerAttribute but is not a layer this generator knows; use the layers in the Dsl namespace");

        public static readonly DiagnosticDescriptor ReservedName = Error("DSL0013",
            "Network class name is taken by generated code",
            "Network class cannot be named '{0}': the generator adds a member of that name to it; rename the class");

        public static readonly DiagnosticDescriptor DerivesFromNetwork = Error("DSL0014",
            "Network class derives from another network",
            "Network class '{0}' derives from network '{1}'; generated members would collide, so declare each network on its own class");

        public static readonly DiagnosticDescriptor InputNotFirst = Error("DSL0015",
            "[Input] must come first",
            "{0} follows a layer; write [Input] before the layers so the attributes read in the order data flows");

        public static readonly DiagnosticDescriptor FileLocalClass = Error("DSL0016",
            "Network class cannot be file-local",
            "Network class '{0}' is file-local; the generated part lives in another file, so declare it without 'file'");

        public static readonly DiagnosticDescriptor SingleClassSoftmax = Error("DSL0017",
            "Softmax needs at least two units",
            "{0}: a softmax over one unit always outputs 1 and cannot learn; a classifier needs at least 2 classes");

        public static readonly DiagnosticDescriptor WindowTooLarge = Error("DSL0018",
            "Window larger than its input",
            "{0}: its {1} window does not fit the {2} input{3}");

        public static readonly DiagnosticDescriptor NegativeSize = Error("DSL0019",
            "Size must not be negative",
            "{0}: {1} must not be negative, but is {2}");

        public static readonly DiagnosticDescriptor PoolRemainder = Error("DSL0020",
            "Pool windows do not tile their input",
            "{0} does not divide {1} produced by {2}: {3}");

        public static readonly DiagnosticDescriptor NeedsImage = Error("DSL0021",
            "Layer needs an image input",
            "{0} needs an image input (channels×height×width), but {1} produces a vector of {2}; put convolution and pooling layers before the dense ones");

        public static readonly DiagnosticDescriptor RbmPlacement = Error("DSL0022",
            "[Rbm] must follow [Input] or another [Rbm]",
            "{0} follows {1}; an RBM's visible units are binary (or probabilities), so it must come right after [Input] or another [Rbm]");

        public static readonly DiagnosticDescriptor OutOfRange = Error("DSL0023",
            "Value out of range",
            "{0}: {1} must be {2}, but is {3}");

        public static readonly DiagnosticDescriptor MemberNameTaken = Error("DSL0024",
            "Member name is taken by generated code",
            "Network class '{0}' cannot declare a member named '{1}': the generator adds {2} of that name to it; rename the member");

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
