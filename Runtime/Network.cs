namespace Dsl;

/// <summary>
/// A trainable classifier in float32, on whichever device built it. The trainer, the CLI and user code drive every
/// generated network through this interface; the generated classes add typed, shape-specific members on top.
/// </summary>
public interface INetwork : IDisposable
{
    /// <summary>The declaration this network was generated from: name, shapes, layers.</summary>
    NetworkInfo Info { get; }

    /// <summary>Largest minibatch the buffers were planned for.</summary>
    int BatchCapacity { get; }

    /// <summary>Where the arithmetic runs, for progress lines (e.g. "CPU (SIMD, 2 threads)").</summary>
    string DeviceName { get; }

    /// <summary>
    /// One step of minibatch SGD on <paramref name="count"/> images: forward, backward (negative log-likelihood plus
    /// the L1/L2 terms of <paramref name="settings"/>), update. Returns the minibatch's mean negative log-likelihood
    /// before the update (without the regularisation terms, so runs with different L1/L2 compare).
    /// </summary>
    /// <param name="images">(count, <see cref="NetworkInfo.InputSize"/>) row-major.</param>
    /// <param name="labels">(count) class indices in [0, <see cref="NetworkInfo.Classes"/>).</param>
    float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int count, TrainingSettings settings);

    /// <summary>Class probabilities (count, <see cref="NetworkInfo.Classes"/>) of <paramref name="count"/> images.</summary>
    void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities);
}

/// <summary>Hyper-parameters of one SGD step.</summary>
/// <param name="LearningRate">Step size.</param>
/// <param name="Momentum">Classical momentum μ: v ← μv − η∇, w ← w + v. Zero is plain SGD.</param>
/// <param name="L1">Weight of Σ|W| in the cost (weights only, not biases, as in the Theano tutorials).</param>
/// <param name="L2">Weight of ΣW² in the cost.</param>
public readonly record struct TrainingSettings(float LearningRate, float Momentum = 0f, float L1 = 0f, float L2 = 0f);

/// <summary>What a layer computes, as <see cref="LayerInfo.Kind"/> says it to tools that rebuild a network elsewhere
/// (e.g. the ONNX exporter).</summary>
public enum LayerKind
{
    /// <summary>Not described: a <see cref="LayerInfo"/> made by hand, or a layer kind the generator does not describe.</summary>
    Unspecified,
    /// <summary>y = f(x·W + b), W (inputs, <see cref="LayerInfo.Units"/>) row-major; an image input is flattened
    /// channel-major first.</summary>
    Dense,
    /// <summary>Cross-correlation with W (<see cref="LayerInfo.Units"/> filters, channels, kernel height, kernel width), zero
    /// <see cref="LayerInfo.Padding"/> on every side, windows <see cref="LayerInfo.Stride"/> apart, plus a bias per filter.</summary>
    Conv,
    /// <summary>Maximum over each channel's <see cref="LayerInfo.KernelHeight"/>×<see cref="LayerInfo.KernelWidth"/> windows,
    /// <see cref="LayerInfo.Stride"/> apart, without padding.</summary>
    MaxPool,
    /// <summary>A restricted Boltzmann machine, which in the network is y = σ(x·W + b) exactly as a Dense Sigmoid layer
    /// (W (inputs, <see cref="LayerInfo.Units"/> hidden units)); its visible biases serve pre-training only.</summary>
    Rbm,
}

/// <summary>One layer of a declared network, as the generator inferred it. The positional members describe it for people;
/// the init-only ones (<see cref="Kind"/> on) for tools, which rebuild the layer from them.</summary>
/// <param name="Description">The declaration, e.g. "Dense(500, Tanh)".</param>
/// <param name="InputShape">Shape of what the layer reads, e.g. "784" or "1×28×28".</param>
/// <param name="OutputShape">Shape of what it produces.</param>
/// <param name="Parameters">Number of trainable parameters.</param>
/// <param name="FlopsPerImage">Multiply-adds ×2 of the forward pass for one image.</param>
public sealed record LayerInfo(string Description, string InputShape, string OutputShape, long Parameters, long FlopsPerImage)
{
    /// <summary>What the layer computes; <see cref="LayerKind.Unspecified"/> when not described.</summary>
    public LayerKind Kind { get; init; }

    /// <summary>The non-linearity applied to the layer's output (<see cref="Activation.Identity"/> for pooling).</summary>
    public Activation Activation { get; init; }

    /// <summary>Output units of a Dense layer, filters of a Conv layer; 0 otherwise.</summary>
    public int Units { get; init; }

    /// <summary>Kernel height of a Conv layer, window height of a MaxPool layer; 0 otherwise.</summary>
    public int KernelHeight { get; init; }

    /// <summary>Kernel width of a Conv layer, window width of a MaxPool layer; 0 otherwise.</summary>
    public int KernelWidth { get; init; }

    /// <summary>Distance between windows of a Conv or MaxPool layer, the same along both axes; 0 otherwise.</summary>
    public int Stride { get; init; }

    /// <summary>Zero padding on every side of a Conv layer's input; 0 otherwise.</summary>
    public int Padding { get; init; }

    /// <summary>Shape of one input image as the layer reads it: [channels, height, width] for an image, [features] for a
    /// vector; empty when not described.</summary>
    public IReadOnlyList<int> InputDimensions { get; init; } = [];

    /// <summary>Shape of one image's output, as <see cref="InputDimensions"/>.</summary>
    public IReadOnlyList<int> OutputDimensions { get; init; } = [];
}

/// <summary>A network's declaration after shape inference, emitted as a constant by the generator.</summary>
public sealed record NetworkInfo(string Name, int Channels, int Height, int Width, int Classes, IReadOnlyList<LayerInfo> Layers)
{
    /// <summary>Features per input image: channels × height × width.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Trainable parameters in all layers.</summary>
    public long ParameterCount => Layers.Sum(layer => layer.Parameters);

    /// <summary>Forward FLOPs for one image.</summary>
    public long FlopsPerImage => Layers.Sum(layer => layer.FlopsPerImage);

    /// <summary>"Input(784) → Dense(500, Tanh) → Dense(10, Softmax)".</summary>
    public string Summary => string.Join(" → ", Layers.Select(layer => layer.Description).Prepend(
        Channels == 1 && Height == 1 ? $"Input({Width})" : $"Input({Channels}, {Height}, {Width})"));
}

/// <summary>How one [Rbm] layer is pre-trained: the attribute's values, or the CLI's overrides.</summary>
/// <param name="LearningRate">SGD step size of the pre-training updates.</param>
/// <param name="GibbsSteps">k of CD-k or PCD-k, 1 to 500.</param>
/// <param name="Persistent">Persistent contrastive divergence: the chains carry over between updates.</param>
/// <param name="Epochs">Passes over the training set (0: no pre-training).</param>
public readonly record struct RbmSettings(float LearningRate, int GibbsSteps, bool Persistent, int Epochs);

/// <summary>One [Rbm] layer of a network, as declared.</summary>
/// <param name="Layer">1-based layer number in the network.</param>
/// <param name="Declaration">E.g. "Rbm(1000)".</param>
/// <param name="Visible">Visible units: the previous layer's outputs (or the input's values).</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Settings">The pre-training settings the attribute declares.</param>
public sealed record RbmLayerInfo(int Layer, string Declaration, int Visible, int Hidden, RbmSettings Settings);

/// <summary>
/// A network with [Rbm] layers, which are pre-trained greedily, bottom up, before supervised training (a Deep Belief
/// Network, as in the Theano tutorials). Both generated implementations, CPU and ILGPU, implement it.
/// </summary>
public interface IPretrainable
{
    /// <summary>The RBM layers, bottom up; the index into this list names an RBM in the calls below.</summary>
    IReadOnlyList<RbmLayerInfo> RbmLayers { get; }

    /// <summary>
    /// The visible data of RBM <paramref name="rbm"/> for <paramref name="count"/> network inputs (at most the batch
    /// capacity): the images themselves for the lowest RBM, otherwise the hidden means of the RBM below, the layers
    /// below run forward mean-field. Written to <paramref name="visible"/> as (count, visible units). The layers below
    /// an RBM do not change while it trains, so a trainer computes this once per RBM, not once per update.
    /// </summary>
    void RbmVisible(int rbm, ReadOnlySpan<float> images, int count, Span<float> visible);

    /// <summary>
    /// One contrastive-divergence update of RBM <paramref name="rbm"/> on <paramref name="count"/> rows of its visible
    /// data (<see cref="RbmVisible"/>; for the lowest RBM, the images). Returns the monitoring cost: the reconstruction
    /// cross-entropy for CD (lower is better), the pseudo-log-likelihood for PCD (higher is better).
    /// </summary>
    float PretrainStep(int rbm, ReadOnlySpan<float> visible, int count, RbmSettings settings);

    /// <summary>Copies RBM <paramref name="rbm"/>'s weights (visible, hidden) into <paramref name="destination"/>.</summary>
    void CopyRbmWeights(int rbm, Span<float> destination);

    /// <summary>
    /// Samples from RBM <paramref name="rbm"/>: <paramref name="steps"/> Gibbs steps v → h → v from the binary visible
    /// states in <paramref name="state"/> (count, visible), left there for the next call; the last step's visible
    /// means go to <paramref name="means"/>. <paramref name="sequence"/> numbers the call, so that successive calls
    /// draw fresh random numbers.
    /// </summary>
    void Gibbs(int rbm, Span<float> state, Span<float> means, int count, int steps, uint sequence);
}
