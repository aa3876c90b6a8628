using System;
using System.Globalization;

namespace Dsl.Generator.Model
{
    /// <summary>Mirror of <c>Dsl.Activation</c> (the generator cannot reference the runtime); same names and values.</summary>
    internal enum ActivationKind
    {
        Identity,
        Sigmoid,
        Tanh,
        Relu,
        Softmax,
    }

    /// <summary>
    /// A tensor shape per image: channels × height × width for an image, or a vector of Width features
    /// (<see cref="IsImage"/> false), which is what Dense layers produce and an image becomes when a Dense flattens it.
    /// </summary>
    internal readonly record struct Shape(int Channels, int Height, int Width, bool IsImage)
    {
        public static Shape Flat(int size) => new Shape(1, 1, size, false);

        public static Shape Image(int channels, int height, int width) => new Shape(channels, height, width, true);

        /// <summary>Elements per image (long: a hostile declaration may overflow int).</summary>
        public long Size => (long)Channels * Height * Width;

        public bool IsFlat => !IsImage;

        /// <summary>"784" or "1×28×28".</summary>
        public override string ToString() => IsFlat
            ? Width.ToString(CultureInfo.InvariantCulture)
            : string.Format(CultureInfo.InvariantCulture, "{0}×{1}×{2}", Channels, Height, Width);
    }

    /// <summary>One layer after shape inference. <see cref="Number"/> counts from 1 and names its buffers.</summary>
    internal abstract record LayerModel(int Number, Shape Input, Shape Output, ActivationKind Activation)
    {
        /// <summary>The declaration as the user wrote it, normalised, e.g. "Dense(500, Tanh)".</summary>
        public abstract string Declaration { get; }

        public abstract long ParameterCount { get; }

        /// <summary>Forward multiply-adds × 2 for one image.</summary>
        public abstract long FlopsPerImage { get; }
    }

    /// <summary>y = f(x·W + b) with W of shape (Input.Size, Units).</summary>
    internal sealed record DenseLayer(int Number, Shape Input, int Units, ActivationKind Activation)
        : LayerModel(Number, Input, Shape.Flat(Units), Activation)
    {
        public override string Declaration => string.Format(CultureInfo.InvariantCulture, "Dense({0}, {1})", Units, Activation);
        public override long ParameterCount => Input.Size * Units + Units;
        public override long FlopsPerImage => 2 * Input.Size * Units;
    }

    /// <summary>
    /// A 2-D convolution, cross-correlation as in PyTorch: Filters kernels of KernelHeight×KernelWidth over all input
    /// channels, zero Padding on every side, windows Stride apart.
    /// </summary>
    internal sealed record ConvLayer(int Number, Shape Input, int KernelHeight, int KernelWidth, int Filters, int Stride, int Padding,
        ActivationKind Activation)
        : LayerModel(Number, Input, Shape.Image(Filters, OutputSide(Input.Height, KernelHeight, Stride, Padding),
            OutputSide(Input.Width, KernelWidth, Stride, Padding)), Activation)
    {
        public override string Declaration
        {
            get
            {
                string text = string.Format(CultureInfo.InvariantCulture, "Conv({0}, {1}, {2}, {3}", KernelHeight, KernelWidth, Filters, Activation);
                if (Stride != 1) text += ", Stride = " + Stride.ToString(CultureInfo.InvariantCulture);
                if (Padding != 0) text += ", Padding = " + Padding.ToString(CultureInfo.InvariantCulture);
                return text + ")";
            }
        }

        public long PatchSize => (long)Input.Channels * KernelHeight * KernelWidth;
        public override long ParameterCount => Filters * PatchSize + Filters;
        public override long FlopsPerImage => 2 * (long)Output.Height * Output.Width * Filters * PatchSize;

        public static int OutputSide(int input, int kernel, int stride, int padding) => (input + 2 * padding - kernel) / stride + 1;
    }

    /// <summary>Max-pooling of each channel over Size×Size windows, Stride apart.</summary>
    internal sealed record MaxPoolLayer(int Number, Shape Input, int Size, int Stride)
        : LayerModel(Number, Input, Shape.Image(Input.Channels, (Input.Height - Size) / Stride + 1, (Input.Width - Size) / Stride + 1),
            ActivationKind.Identity)
    {
        public override string Declaration => Stride == Size
            ? string.Format(CultureInfo.InvariantCulture, "MaxPool({0})", Size)
            : string.Format(CultureInfo.InvariantCulture, "MaxPool({0}, Stride = {1})", Size, Stride);

        public override long ParameterCount => 0;

        /// <summary>Comparisons, counted as FLOPs.</summary>
        public override long FlopsPerImage => Output.Size * Size * Size;
    }

    /// <summary>
    /// A restricted Boltzmann machine over the previous layer's output (flattened): W (Input.Size, Hidden), hidden
    /// biases and visible biases. Pre-trained with CD-k or PCD-k, then a Dense(Hidden, Sigmoid) layer for fine-tuning.
    /// </summary>
    internal sealed record RbmLayer(int Number, Shape Input, int Hidden, int GibbsSteps, bool Persistent, double LearningRate, int Epochs)
        : LayerModel(Number, Input, Shape.Flat(Hidden), ActivationKind.Sigmoid)
    {
        public const int DefaultGibbsSteps = 1, DefaultEpochs = 100;
        public const double DefaultLearningRate = 0.01;

        /// <summary>Most Gibbs steps an update may take: each draw needs its own random stream.</summary>
        public const int MaxGibbsSteps = 500;

        public int Visible => (int)Input.Size;

        /// <summary>"Rbm(500)", with the named arguments that differ from their defaults.</summary>
        public override string Declaration
        {
            get
            {
                string text = "Rbm(" + Hidden.ToString(CultureInfo.InvariantCulture);
                if (GibbsSteps != DefaultGibbsSteps) text += ", GibbsSteps = " + GibbsSteps.ToString(CultureInfo.InvariantCulture);
                if (Persistent) text += ", Persistent = true";
                if (LearningRate != DefaultLearningRate) text += ", LearningRate = " + LearningRate.ToString("R", CultureInfo.InvariantCulture);
                if (Epochs != DefaultEpochs) text += ", Epochs = " + Epochs.ToString(CultureInfo.InvariantCulture);
                return text + ")";
            }
        }

        public override long ParameterCount => Input.Size * Hidden + Hidden + Input.Size;
        public override long FlopsPerImage => 2 * Input.Size * Hidden;
    }

    /// <summary>A declared network after parsing and shape inference; holds no symbols or syntax, only values.</summary>
    /// <param name="Namespace">The class's namespace as plain names ("A.event", unescaped), or null for the global namespace.</param>
    /// <param name="Name">The class name, unescaped.</param>
    /// <param name="IsRecord">Whether the user declared a record class, which the generated part must repeat.</param>
    /// <param name="Input">The input shape.</param>
    /// <param name="Layers">The layers in declaration order.</param>
    internal sealed record NetworkModel(string? Namespace, string Name, bool IsRecord, Shape Input, EquatableArray<LayerModel> Layers)
    {
        public string FullName => Namespace is null ? Name : Namespace + "." + Name;

        /// <summary>Classes scored by the last (Softmax) layer.</summary>
        public int Classes => (int)Layers[Layers.Length - 1].Output.Size;

        public long ParameterCount
        {
            get
            {
                long sum = 0;
                foreach (LayerModel layer in Layers) sum += layer.ParameterCount;
                return sum;
            }
        }
    }
}
