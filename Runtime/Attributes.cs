namespace Dsl;

/// <summary>The non-linearity a layer applies to its pre-activation.</summary>
public enum Activation
{
    /// <summary>f(x) = x.</summary>
    Identity,
    /// <summary>f(x) = 1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>f(x) = tanh(x).</summary>
    Tanh,
    /// <summary>f(x) = max(0, x).</summary>
    Relu,
    /// <summary>Normalised exponentials over the layer's units; only valid on the last layer, where it pairs with the
    /// negative log-likelihood loss.</summary>
    Softmax,
}

/// <summary>
/// Declares a network and its input. Every network starts with exactly one <c>[Input]</c>; the layers follow as
/// further attributes on the same class, in source order. The class must be <c>partial</c>: the generator adds the
/// shapes, buffers, forward and backward passes to it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>A flat input of <paramref name="size"/> features.</summary>
    public InputAttribute(int size) => (Channels, Height, Width) = (1, 1, size);

    /// <summary>An image input of <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>.</summary>
    public InputAttribute(int channels, int height, int width) => (Channels, Height, Width) = (channels, height, width);

    /// <summary>Number of input channels (1 for a flat input).</summary>
    public int Channels { get; }
    /// <summary>Input height (1 for a flat input).</summary>
    public int Height { get; }
    /// <summary>Input width (the feature count for a flat input).</summary>
    public int Width { get; }
}

/// <summary>Base of every layer attribute; the generator reads layers in the order they are written.</summary>
public abstract class LayerAttribute : Attribute;

/// <summary>
/// A fully connected layer: y = f(x·W + b) with W of shape (inputs, <paramref name="units"/>). An image input is
/// flattened channel-major first.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units, Activation activation = Activation.Identity) : LayerAttribute
{
    /// <summary>Number of output units.</summary>
    public int Units { get; } = units;
    /// <summary>The layer's non-linearity.</summary>
    public Activation Activation { get; } = activation;
}

/// <summary>
/// A 2-D convolution over an image (channels × height × width), like PyTorch's Conv2d: <paramref name="filters"/>
/// kernels of <paramref name="kernelHeight"/>×<paramref name="kernelWidth"/> over all input channels, plus a bias per
/// filter, then the activation. Output size per side: (input + 2·Padding − kernel) / Stride + 1, rounded down.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConvAttribute(int kernelHeight, int kernelWidth, int filters, Activation activation = Activation.Identity) : LayerAttribute
{
    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; } = kernelHeight;
    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; } = kernelWidth;
    /// <summary>Number of output channels.</summary>
    public int Filters { get; } = filters;
    /// <summary>The layer's non-linearity.</summary>
    public Activation Activation { get; } = activation;
    /// <summary>Step between neighbouring windows, in pixels (default 1).</summary>
    public int Stride { get; set; } = 1;
    /// <summary>Zeros added on every side of the input (default 0: a "valid" convolution).</summary>
    public int Padding { get; set; }
}

/// <summary>
/// Max-pooling over <paramref name="size"/>×<paramref name="size"/> windows of each channel. The windows must tile the
/// input exactly; by default they do not overlap (Stride = size).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute(int size) : LayerAttribute
{
    private int _stride;

    /// <summary>Window height and width.</summary>
    public int Size { get; } = size;
    /// <summary>Step between neighbouring windows (default: <see cref="Size"/>, non-overlapping windows).</summary>
    public int Stride { get => _stride == 0 ? Size : _stride; set => _stride = value; }
}

/// <summary>
/// A restricted Boltzmann machine of binary units: <paramref name="hidden"/> hidden units over the previous layer's
/// output as visible units, with weights W (visible, hidden), hidden biases and visible biases. Before supervised
/// training each [Rbm] is pre-trained greedily, bottom up, with contrastive divergence on the layers below's
/// mean activations; then it serves as a Dense(hidden, Sigmoid) layer of the network that is fine-tuned, as in the
/// Theano tutorials' Deep Belief Network. An [Rbm] must follow [Input] or another [Rbm].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RbmAttribute(int hidden) : LayerAttribute
{
    /// <summary>Number of hidden units.</summary>
    public int Hidden { get; } = hidden;
    /// <summary>Gibbs steps per update: k of CD-k or PCD-k (default 1).</summary>
    public int GibbsSteps { get; set; } = 1;
    /// <summary>Persistent contrastive divergence: the negative phase continues the chains of the previous update
    /// instead of starting from the data (default false: plain CD).</summary>
    public bool Persistent { get; set; }
    /// <summary>Pre-training learning rate (default 0.01, the tutorial's DBN).</summary>
    public double LearningRate { get; set; } = 0.01;
    /// <summary>Pre-training epochs over the training set (default 100, the tutorial's DBN; 0 skips pre-training).</summary>
    public int Epochs { get; set; } = 100;
}
