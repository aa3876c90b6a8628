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

    /// <summary>A tensor shape per image: channels × height × width; a flat vector is 1 × 1 × width.</summary>
    internal readonly record struct Shape(int Channels, int Height, int Width)
    {
        public static Shape Flat(int size) => new Shape(1, 1, size);

        /// <summary>Elements per image (long: a hostile declaration may overflow int).</summary>
        public long Size => (long)Channels * Height * Width;

        public bool IsFlat => Channels == 1 && Height == 1;

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
