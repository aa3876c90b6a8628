using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Dsl.Cpu;
using ILGPU;

namespace Dsl.Layers;

/// <summary>The geometry of one convolution layer, fixed at compile time by the generator.</summary>
/// <remarks>Input (C, H, W), filters (F, C, kh, kw), output (F, Ho, Wo) with Ho = ⌊(H + 2p − kh)/s⌋ + 1 and
/// Wo = ⌊(W + 2p − kw)/s⌋ + 1, as PyTorch's Conv2d. A plain value type: ILGPU kernels take it as a parameter.</remarks>
public readonly struct ConvShape : IEquatable<ConvShape>
{
    /// <summary>Records the geometry; <see cref="Validate"/> checks it.</summary>
    public ConvShape(int channels, int height, int width, int filters, int kernelHeight, int kernelWidth, int stride, int padding)
    {
        Channels = channels; Height = height; Width = width; Filters = filters;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; Stride = stride; Padding = padding;
    }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }
    /// <summary>Input height H.</summary>
    public int Height { get; }
    /// <summary>Input width W.</summary>
    public int Width { get; }
    /// <summary>Filters F, the output channels.</summary>
    public int Filters { get; }
    /// <summary>Kernel height kh.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel width kw.</summary>
    public int KernelWidth { get; }
    /// <summary>Stride s, the same along both axes.</summary>
    public int Stride { get; }
    /// <summary>Zero padding p on every side.</summary>
    public int Padding { get; }
    /// <summary>Ho = ⌊(H + 2p − kh)/s⌋ + 1.</summary>
    public int OutputHeight => (Height + 2 * Padding - KernelHeight) / Stride + 1;
    /// <summary>Wo = ⌊(W + 2p − kw)/s⌋ + 1.</summary>
    public int OutputWidth => (Width + 2 * Padding - KernelWidth) / Stride + 1;
    /// <summary>Elements of one input image, C·H·W.</summary>
    public int InputSize => Channels * Height * Width;
    /// <summary>Elements of one output image, F·Ho·Wo.</summary>
    public int OutputSize => Filters * OutputHeight * OutputWidth;
    /// <summary>Weights of one filter, C·kh·kw.</summary>
    public int PatchSize => Channels * KernelHeight * KernelWidth;
    /// <summary>Output pixels per channel, Ho·Wo.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;
    /// <summary>All weights, F·C·kh·kw (the bias holds F more).</summary>
    public int WeightCount => Filters * PatchSize;

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is positive, the padding is not negative, and
    /// the output has at least one pixel.</summary>
    public void Validate(string parameterName = "shape")
    {
        if (Channels < 1 || Height < 1 || Width < 1 || Filters < 1 || KernelHeight < 1 || KernelWidth < 1 || Stride < 1)
            throw new ArgumentException($"Every size of the convolution {this} must be positive.", parameterName);
        if (Padding < 0)
            throw new ArgumentException($"The padding of {this} must not be negative.", parameterName);
        if (Height + 2 * Padding < KernelHeight || Width + 2 * Padding < KernelWidth)
            throw new ArgumentException($"The kernel of {this} is larger than the padded input.", parameterName);
        if ((long)Channels * Height * Width > int.MaxValue / 2 || (long)Filters * OutputPixels > int.MaxValue / 2 ||
            (long)(PatchSize + 1) * OutputPixels > int.MaxValue / 2)
            throw new ArgumentException($"The convolution {this} is too large.", parameterName);
    }

    /// <inheritdoc/>
    public bool Equals(ConvShape other) =>
        Channels == other.Channels && Height == other.Height && Width == other.Width && Filters == other.Filters &&
        KernelHeight == other.KernelHeight && KernelWidth == other.KernelWidth && Stride == other.Stride && Padding == other.Padding;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ConvShape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(Channels, Height, Width, Filters, KernelHeight, KernelWidth, Stride, Padding);

    /// <summary>Whether two shapes are the same geometry.</summary>
    public static bool operator ==(ConvShape left, ConvShape right) => left.Equals(right);

    /// <summary>Whether two shapes differ.</summary>
    public static bool operator !=(ConvShape left, ConvShape right) => !left.Equals(right);

    /// <summary>E.g. "(1×28×28) ⊛ 20×(5×5)/s1 p0 → (20×24×24)".</summary>
    public override string ToString() =>
        $"({Channels}×{Height}×{Width}) ⊛ {Filters}×({KernelHeight}×{KernelWidth})/s{Stride} p{Padding} → ({Filters}×{OutputHeight}×{OutputWidth})";
}

/// <summary>
/// The scratch memory of one convolution layer on the CPU, sized once for a shape and a largest batch so that
/// <see cref="Conv.Forward{T}"/> and <see cref="Conv.Backward{T}"/> allocate nothing. One per layer; not for
/// concurrent use.
/// </summary>
/// <remarks>
/// The batch is cut into a number of contiguous image chunks that depends only on the shape and the batch size (see
/// <see cref="Conv.ChunkCount"/>), never on the cores, and each chunk owns a column matrix and a partial weight
/// gradient here. The buffers live on the pinned heap, so that the parallel workers can take pointers to them.
/// </remarks>
public sealed unsafe class ConvWorkspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Per chunk: the column matrix with one extra row of ones ((PatchSize + 1) × OutputPixels), which makes the
    // product with [W | b] add the bias, and the product of dZ with it the bias gradient.
    private readonly T[] _columns;
    // Per chunk: that chunk's Σ dZᵢ·col_extᵀ, Filters × (PatchSize + 1): each filter's weight gradient, then its bias's.
    private readonly T[] _partials;
    // [W | b], Filters × (PatchSize + 1), rebuilt by every forward pass.
    private readonly T[] _extendedWeights;
    // Per chunk, when a max-pool follows: one image's pre-activations (forward) or their gradient (backward),
    // F × Ho·Wo, which never leave the cache for a batch buffer.
    private readonly T[]? _outputs;
    // With stride 1 and no padding, the image offset of each column-matrix row (see ColumnPanels).
    private readonly int[]? _rowOffsets;

    /// <summary>Allocates the scratch for batches of up to <paramref name="batchCapacity"/> images.</summary>
    /// <exception cref="ArgumentException">The shape is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchCapacity"/> is not positive.</exception>
    public ConvWorkspace(ConvShape shape, int batchCapacity) : this(shape, null, batchCapacity)
    {
    }

    /// <summary>Allocates the scratch of a convolution followed by the max-pooling <paramref name="pool"/>, for
    /// <see cref="Conv.ForwardPooled{T}"/> and <see cref="Conv.BackwardPooled{T}"/> (the unpooled calls work too).</summary>
    /// <exception cref="ArgumentException">A shape is invalid, or the pooling's input is not the convolution's output.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchCapacity"/> is not positive.</exception>
    public ConvWorkspace(ConvShape shape, PoolShape pool, int batchCapacity) : this(shape, (PoolShape?)pool, batchCapacity)
    {
    }

    private ConvWorkspace(ConvShape shape, PoolShape? pool, int batchCapacity)
    {
        shape.Validate(nameof(shape));
        if (pool is { } p)
        {
            p.Validate(nameof(pool));
            if (p.Channels != shape.Filters || p.Height != shape.OutputHeight || p.Width != shape.OutputWidth)
                throw new ArgumentException($"The pooling {p} does not take the output of the convolution {shape}.", nameof(pool));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCapacity, 1);
        Shape = shape;
        Pool = pool;
        BatchCapacity = batchCapacity;
        ChunkCapacity = Conv.ChunkCount(shape, batchCapacity);
        int extended = shape.PatchSize + 1, pixels = shape.OutputPixels;
        // Every buffer starts on a cache line (the products read the column matrix in place when F is small, and
        // loads that straddle two lines are slower); chunks' buffers are whole lines apart.
        ColumnsLength = RoundToLines(extended * pixels);
        PartialLength = RoundToLines(extended * shape.Filters);
        _columns = AllocateAligned(checked(ChunkCapacity * ColumnsLength), out _columnsStart);
        _partials = AllocateAligned(checked(ChunkCapacity * PartialLength), out _partialsStart);
        _extendedWeights = AllocateAligned(PartialLength, out _extendedWeightsStart);
        if (pool is not null)
        {
            OutputLength = RoundToLines(shape.OutputSize);
            _outputs = AllocateAligned(checked(ChunkCapacity * OutputLength), out _outputsStart);
        }
        if (shape.Stride == 1 && shape.Padding == 0)
        {
            // Where each row (c, ki, kj) of the column matrix starts in the image, for packing it from there.
            _rowOffsets = GC.AllocateUninitializedArray<int>(shape.PatchSize, pinned: true);
            for (int r = 0; r < shape.PatchSize; r++)
            {
                int kj = r % shape.KernelWidth, rest = r / shape.KernelWidth;
                _rowOffsets[r] = (rest / shape.KernelHeight * shape.Height + rest % shape.KernelHeight) * shape.Width + kj;
            }
        }
        for (int chunk = 0; chunk < ChunkCapacity; chunk++)
            new Span<T>(Columns(chunk) + shape.PatchSize * pixels, pixels).Fill(T.One);
    }

    /// <summary>The geometry this scratch is sized for; the layer's calls must pass the same.</summary>
    public ConvShape Shape { get; }

    /// <summary>The max-pooling that follows, when the workspace serves the pooled calls.</summary>
    public PoolShape? Pool { get; }

    /// <summary>The largest batch the calls may pass.</summary>
    public int BatchCapacity { get; }

    /// <summary>Chunks of the largest batch, the most any call uses.</summary>
    internal int ChunkCapacity { get; }

    /// <summary>Elements per chunk of the column matrices, (PatchSize + 1)·OutputPixels rounded up to a cache line.</summary>
    internal int ColumnsLength { get; }

    /// <summary>Elements per chunk of the partial gradients, F·(PatchSize + 1) rounded up to a cache line.</summary>
    internal int PartialLength { get; }

    /// <summary>Elements per chunk of the pooled calls' output scratch, F·Ho·Wo rounded up to a cache line.</summary>
    internal int OutputLength { get; }

    // Where the aligned part of each pinned array starts.
    private readonly int _columnsStart, _partialsStart, _extendedWeightsStart, _outputsStart;

    internal T* Columns(int chunk) => (T*)Unsafe.AsPointer(ref _columns[_columnsStart + chunk * ColumnsLength]);

    internal T* Partial(int chunk) => (T*)Unsafe.AsPointer(ref _partials[_partialsStart + chunk * PartialLength]);

    internal T* ExtendedWeights => (T*)Unsafe.AsPointer(ref _extendedWeights[_extendedWeightsStart]);

    internal T* Output(int chunk) => (T*)Unsafe.AsPointer(ref _outputs![_outputsStart + chunk * OutputLength]);

    internal int* RowOffsets => (int*)Unsafe.AsPointer(ref _rowOffsets![0]);

    /// <summary>Whether the products pack the column matrix straight from each image (<see cref="ColumnPanels"/>)
    /// rather than lowering it into the workspace first: float, stride 1, no padding, chunks on their own threads.</summary>
    internal bool PacksFromImages => _rowOffsets is not null && Gemm.PanelsSupported<T>() && !ParallelProducts && !LowerColumns;

    /// <summary>Always lowers the column matrix first, as on CPUs without the packed path (for tests: the results
    /// must not change).</summary>
    internal bool LowerColumns { get; set; }

    private const int CacheLine = 64;

    private static int RoundToLines(int length)
    {
        int perLine = Math.Max(1, CacheLine / sizeof(T));
        return checked((length + perLine - 1) / perLine * perLine);
    }

    /// <summary>A pinned array with <paramref name="length"/> elements from <paramref name="start"/> on, which is
    /// on a cache line.</summary>
    private static T[] AllocateAligned(int length, out int start)
    {
        int slack = Math.Max(1, CacheLine / sizeof(T));
        T[] array = GC.AllocateUninitializedArray<T>(checked(length + slack), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        start = (int)((CacheLine - address % CacheLine) % CacheLine / sizeof(T));
        return array;
    }

    // The current call's operands, for the chunk workers. Valid only while Forward or Backward runs, which keep the
    // spans pinned.
    internal T* X, Y, Weights, OutputGradient, InputGradient;
    internal int Count, Chunks;
    internal Activation Activation;
    internal bool ParallelProducts;
    // The pooled calls': the pooling's output y or gradient dy (batch buffers; Y and OutputGradient stay null), its
    // argmax, and whether a chunk met an argmax outside its plane.
    internal T* Pooled, PooledGradient;
    internal int* Argmax;
    internal int InvalidArgmax;

    /// <summary>Runs every chunk on the calling thread, in order, as on a one-core machine (for tests: the results
    /// must not change).</summary>
    internal bool Serial { get; set; }

    /// <summary>Runs the forward or backward pass of every chunk: inline when there is one (letting the products use
    /// all cores) or one core, else on the <see cref="WorkerPool"/>, each product staying on its thread.</summary>
    internal void RunChunks(bool forward)
    {
        ParallelProducts = Chunks == 1;
        var chunks = new ChunkPass(this, forward);
        if (Chunks == 1 || Serial || Environment.ProcessorCount == 1)
            for (int chunk = 0; chunk < Chunks; chunk++) chunks.Run(chunk);
        else WorkerPool.For(Chunks, chunks);
    }

    private readonly struct ChunkPass(ConvWorkspace<T> workspace, bool forward) : IParallelBody
    {
        public void Run(int chunk)
        {
            if (forward) Conv.ForwardChunk(workspace, chunk);
            else Conv.BackwardChunk(workspace, chunk);
        }
    }

    /// <summary>Forgets the call's pointers.</summary>
    internal void Clear()
    {
        X = Y = Weights = OutputGradient = InputGradient = Pooled = PooledGradient = null;
        Argmax = null;
    }

    internal void Check(in ConvShape shape, int count)
    {
        if (shape != Shape)
            throw new ArgumentException($"The workspace was sized for {Shape}, not {shape}.", nameof(shape));
        CheckCount(count);
    }

    internal void Check(in ConvShape shape, in PoolShape pool, int count)
    {
        Check(shape, count);
        if (Pool is not { } own)
            throw new ArgumentException($"The workspace of {Shape} was not sized for a max-pooling; construct it with the {nameof(PoolShape)}.", nameof(pool));
        if (pool != own)
            throw new ArgumentException($"The workspace was sized for the pooling {own}, not {pool}.", nameof(pool));
    }

    private void CheckCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The workspace holds batches of up to {BatchCapacity} images.");
    }
}

/// <summary>
/// The 2-D convolution layer (cross-correlation, as PyTorch's Conv2d): x (n, C, H, W), weights (F, C, kh, kw) and
/// bias (F) give y (n, F, Ho, Wo) = f(conv(x, W) + b), zero-padded by p with stride s; all tensors row-major.
/// CPU forward and backward (generic in the precision) sit beside the ILGPU kernel bodies that compute the same thing.
/// </summary>
/// <remarks>
/// <para>On the CPU each image is lowered to its column matrix (<see cref="Im2Col"/>), and the convolution becomes one
/// packed GEMM per image: forward Yᵢ (F × Ho·Wo) = [W | b]·[colᵢ; 1]; backward [dW | db] = Σᵢ dZᵢ·[colᵢ; 1]ᵀ and
/// dcolᵢ = Wᵀ·dZᵢ, raised back into dxᵢ. The row of ones folds the bias and its gradient into the products.</para>
/// <para>Images are processed in <see cref="ChunkCount"/> contiguous chunks in parallel, each with its own column
/// matrix and partial gradient, and the partials are added in chunk order: results are bit-for-bit reproducible for
/// given inputs, whatever the scheduling and the number of cores.</para>
/// </remarks>
public static class Conv
{
    /// <summary>The most chunks a batch is cut into.</summary>
    internal const int MaxChunks = 32;

    /// <summary>Floating-point operations per chunk below which a batch is cut into fewer chunks (about 50 µs of one
    /// core: a chunk then outweighs the cost of handing it to a pool thread).</summary>
    internal const long ChunkFlops = 4_000_000;

    /// <summary>Scratch elements (column matrices and partial gradients) all chunks together may take, at most: the
    /// chunk count of a huge layer is cut so as not to hold gigabytes of scratch.</summary>
    internal const long MaxScratchElements = 1 << 24;

    /// <summary>
    /// How many contiguous chunks a batch of <paramref name="count"/> images is cut into: between 1 and
    /// <see cref="MaxChunks"/>, about one per <see cref="ChunkFlops"/> of forward work, at most one per image, and no
    /// more than the scratch bound allows. A function of the shape and the count only (non-decreasing in the count),
    /// so that the order in which the weight gradient is summed never depends on the machine.
    /// </summary>
    internal static int ChunkCount(in ConvShape shape, int count)
    {
        if (count <= 1) return 1;
        long extended = shape.PatchSize + 1;
        long flopsPerImage = 2 * extended * shape.Filters * shape.OutputPixels;
        long byWork = (long)Math.Clamp((double)count * flopsPerImage / ChunkFlops, 1, MaxChunks);
        long perChunk = extended * (shape.OutputPixels + shape.Filters);
        long byMemory = Math.Max(1, MaxScratchElements / perChunk);
        return (int)Math.Min(Math.Min(byWork, byMemory), Math.Min(count, MaxChunks));
    }

    /// <summary>y = f(conv(x, W) + b) for <paramref name="count"/> images, on the CPU.</summary>
    /// <param name="x">Inputs (count, C, H, W).</param>
    /// <param name="weights">Filters (F, C, kh, kw).</param>
    /// <param name="bias">Biases (F).</param>
    /// <param name="y">Outputs (count, F, Ho, Wo), overwritten.</param>
    /// <param name="count">Images in the batch, at most the workspace's capacity.</param>
    /// <param name="shape">The geometry, the workspace's.</param>
    /// <param name="activation">f: Identity, Sigmoid, Tanh or Relu.</param>
    /// <param name="workspace">The layer's scratch.</param>
    /// <exception cref="ArgumentException">A span is too short, the shape is not the workspace's, or the activation
    /// is Softmax.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative or beyond the workspace's capacity.</exception>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> y, int count,
        in ConvShape shape, Activation activation, ConvWorkspace<T> workspace) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.Check(shape, count);
        CheckActivation(activation);
        RequireLength(x.Length, (long)count * shape.InputSize, nameof(x));
        RequireLength(weights.Length, shape.WeightCount, nameof(weights));
        RequireLength(bias.Length, shape.Filters, nameof(bias));
        RequireLength(y.Length, (long)count * shape.OutputSize, nameof(y));
        if (count == 0) return;

        ExtendWeights(weights, bias, workspace);
        fixed (T* xPointer = x, yPointer = y)
        {
            workspace.X = xPointer;
            workspace.Y = yPointer;
            Run(workspace, count, activation, forward: true);
        }
    }

    /// <summary>
    /// A convolution followed by a max-pooling, image by image: pooled = f(maxpool(conv(x, W) + b)) and the pooling's
    /// argmax, exactly as <see cref="Forward{T}"/> with Identity then <see cref="MaxPool.Forward{T}(ReadOnlySpan{T}, Span{T}, Span{int}, int, in PoolShape, Activation)"/>
    /// with f compute them, bit for bit. Each image's pre-activations stay in the workspace's cache-sized scratch instead
    /// of passing through a batch buffer, and f, non-decreasing, is evaluated once per window.
    /// </summary>
    /// <param name="x">Inputs (count, C, H, W).</param>
    /// <param name="weights">Filters (F, C, kh, kw).</param>
    /// <param name="bias">Biases (F).</param>
    /// <param name="pooled">The pooling's outputs (count, F, Ho', Wo'), overwritten.</param>
    /// <param name="argmax">For each pooled output, the index of its window's maximum in the convolution's output
    /// (count, F, Ho, Wo), which is never stored, overwritten.</param>
    /// <param name="count">Images in the batch, at most the workspace's capacity.</param>
    /// <param name="shape">The convolution's geometry, the workspace's.</param>
    /// <param name="pool">The pooling's geometry, the workspace's.</param>
    /// <param name="activation">The convolution's f: Identity, Sigmoid, Tanh or Relu.</param>
    /// <param name="workspace">The layer's scratch, constructed with <paramref name="pool"/>.</param>
    /// <exception cref="ArgumentException">A span is too short, a shape is not the workspace's, or the activation is
    /// Softmax.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative or beyond the workspace's capacity.</exception>
    public static unsafe void ForwardPooled<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> pooled,
        Span<int> argmax, int count, in ConvShape shape, in PoolShape pool, Activation activation, ConvWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.Check(shape, pool, count);
        CheckActivation(activation);
        RequireLength(x.Length, (long)count * shape.InputSize, nameof(x));
        RequireLength(weights.Length, shape.WeightCount, nameof(weights));
        RequireLength(bias.Length, shape.Filters, nameof(bias));
        RequireLength(pooled.Length, (long)count * pool.OutputSize, nameof(pooled));
        RequireLength(argmax.Length, (long)count * pool.OutputSize, nameof(argmax));
        if (count == 0) return;

        ExtendWeights(weights, bias, workspace);
        fixed (T* xPointer = x, pooledPointer = pooled)
        fixed (int* argmaxPointer = argmax)
        {
            workspace.X = xPointer;
            workspace.Pooled = pooledPointer;
            workspace.Argmax = argmaxPointer;
            Run(workspace, count, activation, forward: true);
        }
    }

    /// <summary>
    /// Given dz = dL/dz (count, F, Ho, Wo) for the pre-activation: overwrites dW (F, C, kh, kw) = Σ dz ⋆ x,
    /// db (F) = Σ dz, and, unless <paramref name="inputGradient"/> is empty (the first layer), dx (count, C, H, W), the
    /// transposed convolution of dz with W. No regularisation term is added here.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short or the shape is not the workspace's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative or beyond the workspace's capacity.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> outputGradient,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> inputGradient, int count, in ConvShape shape, ConvWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.Check(shape, count);
        CheckBackwardOperands(x, weights, weightGradient, biasGradient, inputGradient, count, shape);
        RequireLength(outputGradient.Length, (long)count * shape.OutputSize, nameof(outputGradient));
        if (count == 0)
        {
            ClearGradients(weightGradient, biasGradient, shape);
            return;
        }

        fixed (T* xPointer = x, wPointer = weights, dzPointer = outputGradient, dxPointer = inputGradient)
        {
            workspace.X = xPointer;
            workspace.Weights = wPointer;
            workspace.OutputGradient = dzPointer;
            workspace.InputGradient = inputGradient.IsEmpty ? null : dxPointer;
            Run(workspace, count, Activation.Identity, forward: false);
        }
        SumPartials(workspace, ChunkCount(shape, count), weightGradient, biasGradient);
    }

    /// <summary>
    /// The backward pass of <see cref="ForwardPooled{T}"/>, given the pooling's output gradient dy: dy ⊙= f'(pooled) in
    /// place, routed to each window's winner, then dW, db and (unless <paramref name="inputGradient"/> is empty) dx as
    /// <see cref="Backward{T}"/> computes them from that routed gradient, which never passes through a batch buffer.
    /// Bit for bit the same as <see cref="MaxPool.BackwardThroughActivation{T}"/> followed by <see cref="Backward{T}"/>.
    /// </summary>
    /// <param name="x">The convolution's inputs (count, C, H, W).</param>
    /// <param name="weights">Filters (F, C, kh, kw).</param>
    /// <param name="pooledGradient">dy (count, F, Ho', Wo'), multiplied by f'(pooled) in place.</param>
    /// <param name="pooled">The forward pass's pooled outputs; may be empty when <paramref name="activation"/> is Identity.</param>
    /// <param name="activation">The convolution's f, as in the forward pass.</param>
    /// <param name="argmax">The forward pass's argmax.</param>
    /// <param name="weightGradient">dW (F, C, kh, kw), overwritten.</param>
    /// <param name="biasGradient">db (F), overwritten.</param>
    /// <param name="inputGradient">dx (count, C, H, W), overwritten; empty for the first layer.</param>
    /// <param name="count">Images in the batch.</param>
    /// <param name="shape">The convolution's geometry, the workspace's.</param>
    /// <param name="pool">The pooling's geometry, the workspace's.</param>
    /// <param name="workspace">The layer's scratch, constructed with <paramref name="pool"/>.</param>
    /// <exception cref="ArgumentException">A span is too short, a shape is not the workspace's, the activation is
    /// Softmax, the gradient overlaps the pooled outputs, or an argmax lies outside its channel plane.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative or beyond the workspace's capacity.</exception>
    public static unsafe void BackwardPooled<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, Span<T> pooledGradient,
        ReadOnlySpan<T> pooled, Activation activation, ReadOnlySpan<int> argmax, Span<T> weightGradient, Span<T> biasGradient,
        Span<T> inputGradient, int count, in ConvShape shape, in PoolShape pool, ConvWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.Check(shape, pool, count);
        CheckActivation(activation);
        CheckBackwardOperands(x, weights, weightGradient, biasGradient, inputGradient, count, shape);
        RequireLength(pooledGradient.Length, (long)count * pool.OutputSize, nameof(pooledGradient));
        if (activation != Activation.Identity) RequireLength(pooled.Length, (long)count * pool.OutputSize, nameof(pooled));
        RequireLength(argmax.Length, (long)count * pool.OutputSize, nameof(argmax));
        if (activation != Activation.Identity && pooledGradient.Overlaps(pooled))
            throw new ArgumentException("The pooled gradient must not overlap the pooled outputs.", nameof(pooledGradient));
        if (count == 0)
        {
            ClearGradients(weightGradient, biasGradient, shape);
            return;
        }

        fixed (T* xPointer = x, wPointer = weights, dyPointer = pooledGradient, yPointer = pooled, dxPointer = inputGradient)
        fixed (int* argmaxPointer = argmax)
        {
            workspace.X = xPointer;
            workspace.Weights = wPointer;
            workspace.PooledGradient = dyPointer;
            workspace.Pooled = yPointer;
            workspace.Argmax = argmaxPointer;
            workspace.InputGradient = inputGradient.IsEmpty ? null : dxPointer;
            workspace.InvalidArgmax = 0;
            Run(workspace, count, activation, forward: false);
        }
        if (workspace.InvalidArgmax != 0)
            throw new ArgumentException("An argmax lies outside the channel plane of its output.", nameof(argmax));
        SumPartials(workspace, ChunkCount(shape, count), weightGradient, biasGradient);
    }

    private static void CheckActivation(Activation activation)
    {
        if (activation is not (Activation.Identity or Activation.Sigmoid or Activation.Tanh or Activation.Relu))
            throw new ArgumentException($"A convolution cannot apply {activation}.", nameof(activation));
    }

    private static void CheckBackwardOperands<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, Span<T> weightGradient,
        Span<T> biasGradient, Span<T> inputGradient, int count, in ConvShape shape)
    {
        RequireLength(x.Length, (long)count * shape.InputSize, nameof(x));
        RequireLength(weights.Length, shape.WeightCount, nameof(weights));
        RequireLength(weightGradient.Length, shape.WeightCount, nameof(weightGradient));
        RequireLength(biasGradient.Length, shape.Filters, nameof(biasGradient));
        if (!inputGradient.IsEmpty) RequireLength(inputGradient.Length, (long)count * shape.InputSize, nameof(inputGradient));
    }

    private static void ClearGradients<T>(Span<T> weightGradient, Span<T> biasGradient, in ConvShape shape)
    {
        weightGradient[..shape.WeightCount].Clear();
        biasGradient[..shape.Filters].Clear();
    }

    /// <summary>Writes [W | b], F × (PatchSize + 1), into the workspace: one row per filter, its bias last.</summary>
    private static unsafe void ExtendWeights<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, ConvWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int patch = workspace.Shape.PatchSize, filters = workspace.Shape.Filters;
        var extended = new Span<T>(workspace.ExtendedWeights, filters * (patch + 1));
        for (int f = 0; f < filters; f++)
        {
            weights.Slice(f * patch, patch).CopyTo(extended.Slice(f * (patch + 1), patch));
            extended[f * (patch + 1) + patch] = bias[f];
        }
    }

    /// <summary>Runs every chunk of a call whose operands are in the workspace, then forgets them.</summary>
    private static void Run<T>(ConvWorkspace<T> workspace, int count, Activation activation, bool forward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        workspace.Count = count;
        workspace.Activation = activation;
        workspace.Chunks = ChunkCount(workspace.Shape, count);
        try
        {
            workspace.RunChunks(forward);
        }
        finally
        {
            workspace.Clear();
        }
    }

    /// <summary>Sums the chunks' partial [dW | db] in chunk order and copies the total out.</summary>
    private static unsafe void SumPartials<T>(ConvWorkspace<T> workspace, int chunks, Span<T> weightGradient, Span<T> biasGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int patch = workspace.Shape.PatchSize, filters = workspace.Shape.Filters, length = filters * (patch + 1);
        var total = new Span<T>(workspace.Partial(0), length);
        for (int chunk = 1; chunk < chunks; chunk++)
            TensorPrimitives.Add(total, new ReadOnlySpan<T>(workspace.Partial(chunk), length), total);
        for (int f = 0; f < filters; f++)
        {
            total.Slice(f * (patch + 1), patch).CopyTo(weightGradient.Slice(f * patch, patch));
            biasGradient[f] = total[f * (patch + 1) + patch];
        }
    }

    /// <summary>One chunk of the forward pass: for each of its images, Y = [W | b]·[col; 1] (the column matrix lowered
    /// into the workspace first, or packed for the product straight from the image) and f in place, or, for the pooled
    /// call, Y into the chunk's scratch, pooled from there.</summary>
    internal static unsafe void ForwardChunk<T>(ConvWorkspace<T> workspace, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ConvShape shape = workspace.Shape;
        int filters = shape.Filters, pixels = shape.OutputPixels, extended = shape.PatchSize + 1;
        int inputSize = shape.InputSize, outputSize = shape.OutputSize;
        (int start, int end) = WorkerPool.Part(workspace.Count, workspace.Chunks, chunk);
        T* columns = workspace.Columns(chunk);
        bool pooled = workspace.Pooled != null;
        var a = new ReadOnlySpan<T>(workspace.ExtendedWeights, filters * extended);
        var b = new ReadOnlySpan<T>(columns, extended * pixels);
        // With few filters the product reads the stored column matrix in place, unpacked, which beats packing it.
        bool fromImages = workspace.PacksFromImages && filters > Gemm.ReadBInPlaceRows;
        for (int image = start; image < end; image++)
        {
            T* input = workspace.X + (nint)image * inputSize;
            T* output = pooled ? workspace.Output(chunk) : workspace.Y + (nint)image * outputSize;
            var y = new Span<T>(output, outputSize);
            if (fromImages)
            {
                var source = new ColumnPanels((float*)input, workspace.RowOffsets, shape.PatchSize, shape.Width, shape.OutputWidth);
                Gemm.MultiplyPanels(filters, pixels, extended, (float*)workspace.ExtendedWeights, ref source, (float*)output, accumulate: false);
            }
            else
            {
                Im2Col.Lower(shape, input, columns);
                Gemm.Multiply(false, false, filters, pixels, extended, a, b, y, accumulate: false, parallel: workspace.ParallelProducts);
            }
            if (pooled) MaxPool.ForwardImage(workspace.Pool!.Value, output, image, workspace.Pooled, workspace.Argmax, workspace.Activation);
            else if (workspace.Activation != Activation.Identity) Activations.Forward(workspace.Activation, y);
        }
    }

    /// <summary>One chunk of the backward pass: for each of its images (for the pooled call, first the pooling's
    /// gradient routed into the chunk's scratch), the partial [dW | db] += dZ·[col; 1]ᵀ (col lowered or packed from the
    /// image, as forward), and, when wanted, dcol = Wᵀ·dZ (in the column matrix's scratch) raised into dx.</summary>
    internal static unsafe void BackwardChunk<T>(ConvWorkspace<T> workspace, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ConvShape shape = workspace.Shape;
        int filters = shape.Filters, pixels = shape.OutputPixels, patch = shape.PatchSize;
        int inputSize = shape.InputSize, outputSize = shape.OutputSize;
        bool parallel = workspace.ParallelProducts, pooled = workspace.PooledGradient != null;
        (int start, int end) = WorkerPool.Part(workspace.Count, workspace.Chunks, chunk);
        T* columns = workspace.Columns(chunk);
        var partial = new Span<T>(workspace.Partial(chunk), filters * (patch + 1));
        var columnMatrix = new ReadOnlySpan<T>(columns, (patch + 1) * pixels);
        var weights = new ReadOnlySpan<T>(workspace.Weights, shape.WeightCount);
        bool fromImages = workspace.PacksFromImages;
        for (int image = start; image < end; image++)
        {
            T* outputGradient = pooled ? workspace.Output(chunk) : workspace.OutputGradient + (nint)image * outputSize;
            if (pooled)
            {
                if (!MaxPool.BackwardImage(workspace.Pool!.Value, workspace.PooledGradient, workspace.Pooled, workspace.Activation,
                        workspace.Argmax, image, outputGradient))
                    Volatile.Write(ref workspace.InvalidArgmax, 1);
            }
            T* input = workspace.X + (nint)image * inputSize;
            var dz = new ReadOnlySpan<T>(outputGradient, outputSize);
            // (Measured: this orientation, F rows, beats [col; 1]·dZᵀ with PatchSize + 1 rows, whose few columns fill
            // the register tile poorly when F is small.)
            if (fromImages)
            {
                var source = new TransposedColumnPanels((float*)input, workspace.RowOffsets, patch, shape.Width, shape.OutputWidth);
                Gemm.MultiplyPanels(filters, patch + 1, pixels, (float*)outputGradient, ref source, (float*)workspace.Partial(chunk),
                    accumulate: image != start);
            }
            else
            {
                Im2Col.Lower(shape, input, columns);
                Gemm.Multiply(false, true, filters, patch + 1, pixels, dz, columnMatrix, partial, accumulate: image != start, parallel: parallel);
            }
            if (workspace.InputGradient == null) continue;
            var dcol = new Span<T>(columns, patch * pixels); // the ones row below stays
            Gemm.Multiply(true, false, patch, pixels, filters, weights, dz, dcol, accumulate: false, parallel: parallel);
            Im2Col.Raise(shape, columns, workspace.InputGradient + (nint)image * inputSize);
        }
    }

    private static void RequireLength(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"{name} holds {length} elements; the call needs {required}.", name);
    }

    // ILGPU kernel bodies. Indices are row-major: x[((n·C + c)·H + iy)·W + ix], weights[((f·C + c)·kh + ki)·kw + kj],
    // y[((n·F + f)·Ho + oy)·Wo + ox], with iy = oy·s − p + ki and ix = ox·s − p + kj.

    /// <summary>Kernel body, one thread per output (n, f, oy, ox): y = f(b + Σ_{c,ki,kj} x·W).</summary>
    public static void ForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias,
        ArrayView<float> y, ConvShape shape, Activation activation)
    {
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth;
        int ox = index % outputWidth, rest = index / outputWidth;
        int oy = rest % outputHeight;
        rest /= outputHeight;
        int f = rest % shape.Filters, n = rest / shape.Filters;
        int channels = shape.Channels, height = shape.Height, width = shape.Width;
        int kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth;
        float z = bias[f];
        for (int c = 0; c < channels; c++)
        {
            for (int ki = 0; ki < kernelHeight; ki++)
            {
                int iy = oy * shape.Stride - shape.Padding + ki;
                if (iy < 0 || iy >= height) continue;
                int xRow = ((n * channels + c) * height + iy) * width;
                int wRow = ((f * channels + c) * kernelHeight + ki) * kernelWidth;
                for (int kj = 0; kj < kernelWidth; kj++)
                {
                    int ix = ox * shape.Stride - shape.Padding + kj;
                    if (ix < 0 || ix >= width) continue;
                    z += x[xRow + ix] * weights[wRow + kj];
                }
            }
        }
        y[index] = Activations.Apply(activation, z);
    }

    /// <summary>Kernel body, one thread per weight (f, c, ki, kj): dW = Σ_{n,oy,ox} x·dz + the L1/L2 terms.</summary>
    public static void WeightGradientKernel(Index1D index, ArrayView<float> x, ArrayView<float> outputGradient,
        ArrayView<float> weights, ArrayView<float> weightGradient, int count, float l1, float l2, ConvShape shape)
    {
        int kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth, channels = shape.Channels;
        int kj = index % kernelWidth, rest = index / kernelWidth;
        int ki = rest % kernelHeight;
        rest /= kernelHeight;
        int c = rest % channels, f = rest / channels;
        int height = shape.Height, width = shape.Width, filters = shape.Filters;
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth;
        float sum = 0f;
        for (int n = 0; n < count; n++)
        {
            for (int oy = 0; oy < outputHeight; oy++)
            {
                int iy = oy * shape.Stride - shape.Padding + ki;
                if (iy < 0 || iy >= height) continue;
                int xRow = ((n * channels + c) * height + iy) * width;
                int dzRow = ((n * filters + f) * outputHeight + oy) * outputWidth;
                for (int ox = 0; ox < outputWidth; ox++)
                {
                    int ix = ox * shape.Stride - shape.Padding + kj;
                    if (ix < 0 || ix >= width) continue;
                    sum += x[xRow + ix] * outputGradient[dzRow + ox];
                }
            }
        }
        float w = weights[index];
        weightGradient[index] = sum + Regularization.Gradient(w, l1, l2);
    }

    /// <summary>Kernel body, one thread per filter: db = Σ_{n,oy,ox} dz.</summary>
    public static void BiasGradientKernel(Index1D filter, ArrayView<float> outputGradient, ArrayView<float> biasGradient,
        int count, ConvShape shape)
    {
        int pixels = shape.OutputHeight * shape.OutputWidth, filters = shape.Filters;
        float sum = 0f;
        for (int n = 0; n < count; n++)
        {
            int start = (n * filters + filter) * pixels;
            for (int i = 0; i < pixels; i++) sum += outputGradient[start + i];
        }
        biasGradient[filter] = sum;
    }

    /// <summary>
    /// Kernel body, one thread per input (n, c, iy, ix): dx = (Σ over the filters and the kernel positions whose window
    /// covers it of dz·W) ⊙ f'(x), fusing the previous layer's activation derivative (taken from its output x) so the
    /// gradient leaves as that layer's dz.
    /// </summary>
    public static void InputGradientKernel(Index1D index, ArrayView<float> outputGradient, ArrayView<float> weights,
        ArrayView<float> x, ArrayView<float> inputGradient, ConvShape shape, Activation inputActivation)
    {
        int height = shape.Height, width = shape.Width, channels = shape.Channels;
        int ix = index % width, rest = index / width;
        int iy = rest % height;
        rest /= height;
        int c = rest % channels, n = rest / channels;
        int filters = shape.Filters, kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth;
        int stride = shape.Stride, outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth;
        float sum = 0f;
        for (int f = 0; f < filters; f++)
        {
            for (int ki = 0; ki < kernelHeight; ki++)
            {
                int ty = iy + shape.Padding - ki; // = oy·s
                if (ty < 0 || ty % stride != 0) continue;
                int oy = ty / stride;
                if (oy >= outputHeight) continue;
                int dzRow = ((n * filters + f) * outputHeight + oy) * outputWidth;
                int wRow = ((f * channels + c) * kernelHeight + ki) * kernelWidth;
                for (int kj = 0; kj < kernelWidth; kj++)
                {
                    int tx = ix + shape.Padding - kj; // = ox·s
                    if (tx < 0 || tx % stride != 0) continue;
                    int ox = tx / stride;
                    if (ox >= outputWidth) continue;
                    sum += outputGradient[dzRow + ox] * weights[wRow + kj];
                }
            }
        }
        inputGradient[index] = sum * Activations.Derivative(inputActivation, x[index]);
    }
}
