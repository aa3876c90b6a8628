namespace Dsl.Generator.Tests;

/// <summary>Network declarations the tests generate from.</summary>
internal static class Sources
{
    // Exactly as in Examples/Networks.cs, one network per source, so each baseline follows from one declaration.
    public const string LogisticRegression = """
        using static Dsl.Activation;

        namespace Dsl.Examples;

        /// <summary>The Theano tutorial's logistic regression: one softmax layer on the 784 pixels.</summary>
        [Input(784)]
        [Dense(10, Softmax)]
        public partial class LogisticRegression { }
        """;

    public const string Mlp = """
        using static Dsl.Activation;

        namespace Dsl.Examples;

        /// <summary>The Theano tutorial's multilayer perceptron: 500 tanh hidden units, then softmax.</summary>
        [Input(784)]
        [Dense(500, Tanh)]
        [Dense(10, Softmax)]
        public partial class Mlp { }
        """;

    public const string LeNet5 = """
        using static Dsl.Activation;

        namespace Dsl.Examples;

        /// <summary>The Theano tutorial's convolutional network.</summary>
        [Input(1, 28, 28)]
        [Conv(5, 5, 20, Tanh)] [MaxPool(2)]
        [Conv(5, 5, 50, Tanh)] [MaxPool(2)]
        [Dense(500, Tanh)]
        [Dense(10, Softmax)]
        public partial class LeNet5 { }
        """;

    public const string LogisticRegressionHintName = "Dsl.Examples.LogisticRegression.g.cs";
    public const string MlpHintName = "Dsl.Examples.Mlp.g.cs";
    public const string LeNet5HintName = "Dsl.Examples.LeNet5.g.cs";

    public const string Dbn = """
        using static Dsl.Activation;

        namespace Dsl.Examples;

        /// <summary>The Theano tutorial's Deep Belief Network.</summary>
        [Input(784)]
        [Rbm(1000)]
        [Rbm(1000)]
        [Rbm(1000)]
        [Dense(10, Softmax)]
        public partial class Dbn { }
        """;

    public const string DbnHintName = "Dsl.Examples.Dbn.g.cs";

    /// <summary>The global usings that the SDK adds to a project with ImplicitUsings enabled (as Examples/ has).</summary>
    public const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    // Other valid shapes of declaration the emitted code must compile for.

    /// <summary>An image input, three hidden activations, a block-scoped namespace.</summary>
    public const string ImageMlp = """
        using Dsl;
        using static Dsl.Activation;

        namespace Vision
        {
            /// <summary>Dense layers on 1×28×28 images.</summary>
            [Input(1, 28, 28)]
            [Dense(100, Relu)]
            [Dense(50, Sigmoid)]
            [Dense(10, Softmax)]
            public partial class ImageMlp { }
        }
        """;

    /// <summary>The global namespace, qualified activations, several attributes in one list.</summary>
    public const string GlobalNamespace = """
        /// <summary>A network outside any namespace.</summary>
        [Dsl.Input(4), Dsl.Dense(8, Dsl.Activation.Tanh)]
        [Dsl.Dense(3, Dsl.Activation.Softmax)]
        public sealed partial class GlobalNet { }
        """;

    /// <summary>An internal class; an Identity hidden layer (no activation derivative in backward).</summary>
    public const string Internal = """
        using Dsl;

        namespace Hidden.Nets;

        [Input(2)]
        [Dense(16, Activation.Identity)]
        [Dense(16)]
        [Dense(2, Activation.Softmax)]
        internal partial class Xor { }
        """;

    /// <summary>Convolutions with stride and padding, overlapping pooling, pooling first, a ReLU stack.</summary>
    public const string ConvVariety = """
        using Dsl;
        using static Dsl.Activation;

        namespace Vision.Conv;

        /// <summary>A CIFAR-sized ReLU stack.</summary>
        [Input(3, 32, 32)]
        [Conv(3, 3, 16, Relu, Padding = 1)]
        [Conv(3, 3, 16, Relu, Stride = 2, Padding = 1)]
        [MaxPool(3, Stride = 1)]
        [Conv(1, 1, 8, Sigmoid)]
        [Dense(10, Softmax)]
        public partial class Cifar { }

        [Input(1, 6, 6)]
        [MaxPool(2)]
        [Conv(2, 2, 2)]
        [Dense(3, Softmax)]
        internal partial class PoolFirst { }
        """;
}
