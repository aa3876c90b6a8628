using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dsl.Cpu;
using ILGPU;

namespace Dsl.Layers;

/// <summary>The geometry of one max-pooling layer, fixed at compile time by the generator.</summary>
/// <remarks>Input (C, H, W), square windows of <see cref="Size"/> moved by <see cref="Stride"/> (overlapping when the
/// stride is smaller), no padding: output (C, Ho, Wo) with Ho = ⌊(H − size)/stride⌋ + 1. A plain value type: ILGPU
/// kernels take it as a parameter.</remarks>
public readonly struct PoolShape : IEquatable<PoolShape>
{
    /// <summary>Records the geometry; <see cref="Validate"/> checks it.</summary>
    public PoolShape(int channels, int height, int width, int size, int stride)
    {
        Channels = channels; Height = height; Width = width; Size = size; Stride = stride;
    }

    /// <summary>Channels C, pooled independently.</summary>
    public int Channels { get; }
    /// <summary>Input height H.</summary>
    public int Height { get; }
    /// <summary>Input width W.</summary>
    public int Width { get; }
    /// <summary>The window's side.</summary>
    public int Size { get; }
    /// <summary>The step between windows, along both axes.</summary>
    public int Stride { get; }
    /// <summary>Ho = ⌊(H − size)/stride⌋ + 1.</summary>
    public int OutputHeight => (Height - Size) / Stride + 1;
    /// <summary>Wo = ⌊(W − size)/stride⌋ + 1.</summary>
    public int OutputWidth => (Width - Size) / Stride + 1;
    /// <summary>Elements of one input image, C·H·W.</summary>
    public int InputSize => Channels * Height * Width;
    /// <summary>Elements of one output image, C·Ho·Wo.</summary>
    public int OutputSize => Channels * OutputHeight * OutputWidth;

    /// <summary>Throws <see cref="ArgumentException"/> unless every size is positive and the window fits the input.</summary>
    public void Validate(string parameterName = "shape")
    {
        if (Channels < 1 || Height < 1 || Width < 1 || Size < 1 || Stride < 1)
            throw new ArgumentException($"Every size of the pooling {this} must be positive.", parameterName);
        if (Size > Height || Size > Width)
            throw new ArgumentException($"The window of {this} is larger than the input.", parameterName);
    }

    /// <inheritdoc/>
    public bool Equals(PoolShape other) =>
        Channels == other.Channels && Height == other.Height && Width == other.Width && Size == other.Size && Stride == other.Stride;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PoolShape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Channels, Height, Width, Size, Stride);

    /// <summary>Whether two shapes are the same geometry.</summary>
    public static bool operator ==(PoolShape left, PoolShape right) => left.Equals(right);

    /// <summary>Whether two shapes differ.</summary>
    public static bool operator !=(PoolShape left, PoolShape right) => !left.Equals(right);

    /// <summary>E.g. "max (20×24×24) 2×2/s2 → (20×12×12)".</summary>
    public override string ToString() =>
        $"max ({Channels}×{Height}×{Width}) {Size}×{Size}/s{Stride} → ({Channels}×{OutputHeight}×{OutputWidth})";
}

/// <summary>
/// Max pooling: y (n, C, Ho, Wo) is the maximum of each window of x (n, C, H, W), and argmax records, for each output,
/// the flat index (into the whole x buffer) of the input it took; ties go to the first in row-major window order.
/// The layer has no activation of its own; the CPU overloads with an <see cref="Activation"/> apply the previous
/// layer's after pooling instead of before (the same function, evaluated a quarter as often for 2×2 windows). CPU forward
/// and backward (generic in the precision) sit beside the ILGPU kernel bodies that compute the same thing.
/// </summary>
/// <remarks>Every path compares with a strict &gt; from the window's first element on, so a NaN never replaces a
/// maximum and is taken only when it is the window's first element (as on the GPU). Results do not depend on how the
/// CPU work is split over the cores.</remarks>
public static class MaxPool
{
    /// <summary>Inputs per parallel piece of work at least: below twice this a call stays on the calling thread.</summary>
    internal const int ParallelInputs = 1 << 15;

    /// <summary>y = the window maxima of x for <paramref name="count"/> images, and the flat index of each in x.</summary>
    /// <param name="x">Inputs (count, C, H, W).</param>
    /// <param name="y">Outputs (count, C, Ho, Wo), overwritten.</param>
    /// <param name="argmax">For each output, the index in x of its maximum, overwritten.</param>
    /// <param name="count">Images in the batch.</param>
    /// <param name="shape">The geometry.</param>
    /// <exception cref="ArgumentException">A span is too short or the shape is invalid.</exception>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int count, in PoolShape shape)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(x, y, argmax, count, shape, Activation.Identity);

    /// <summary>
    /// y = f(the window maxima of x), the previous layer's activation f moved after the pooling: x holds that layer's
    /// pre-activations z, and since f is non-decreasing, f(max z) = max f(z), with the same winner (ties aside), while
    /// f is evaluated on one value per window instead of every input. Pair with
    /// <see cref="BackwardThroughActivation{T}"/>.
    /// </summary>
    /// <param name="activation">f: Identity, Sigmoid, Tanh or Relu.</param>
    /// <exception cref="ArgumentException">A span is too short, the shape is invalid, or the activation is Softmax.</exception>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, Span{T}, Span{int}, int, in PoolShape)"/>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int count, in PoolShape shape,
        Activation activation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate(nameof(shape));
        if (activation is not (Activation.Identity or Activation.Sigmoid or Activation.Tanh or Activation.Relu))
            throw new ArgumentException($"{activation} cannot follow a max-pooling: it is not element-wise and non-decreasing.", nameof(activation));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequireLength(x.Length, (long)count * shape.InputSize, nameof(x));
        RequireLength(y.Length, (long)count * shape.OutputSize, nameof(y));
        RequireLength(argmax.Length, (long)count * shape.OutputSize, nameof(argmax));
        int planes = count * shape.Channels;
        if (planes == 0) return;
        fixed (T* xPointer = x, yPointer = y)
        fixed (int* argmaxPointer = argmax)
        {
            int pieces = Pieces(planes, shape.Height * shape.Width);
            if (pieces == 1) PoolAndActivate(shape, xPointer, yPointer, argmaxPointer, 0, planes, activation);
            else ForwardInParallel(shape, xPointer, yPointer, argmaxPointer, planes, pieces, activation);
        }
    }

    /// <summary>
    /// Overwrites dx (count, C, H, W) with zeros, then adds each dy (count, C, Ho, Wo) at its argmax (windows that
    /// overlap, when the stride is below the size, accumulate into the inputs they share). The previous layer's
    /// activation derivative is left to the caller (<see cref="BackwardKernel"/> fuses it on the GPU, and the
    /// overload with <c>inputActivation</c> on the CPU).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short, the shape is invalid, or an argmax lies outside its
    /// image's channel plane.</exception>
    public static void Backward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int count,
        in PoolShape shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(outputGradient, argmax, ReadOnlySpan<T>.Empty, inputGradient, count, shape, Activation.Identity);

    /// <summary>
    /// <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, in PoolShape)"/> followed by
    /// dx ⊙= f'(x), f being the previous layer's activation and x its output (this layer's input), so that the
    /// gradient leaves as that layer's dz, as <see cref="BackwardKernel"/> does on the GPU. Bit for bit the same as
    /// the two passes (the plain backward, then <see cref="Activations.Backward{T}"/>), but the derivative is applied
    /// to each channel plane while it is in L1 instead of in a second pass over the whole batch.
    /// </summary>
    /// <param name="outputGradient">dy (count, C, Ho, Wo).</param>
    /// <param name="argmax">Forward's argmax (count, C, Ho, Wo).</param>
    /// <param name="x">The layer's input (count, C, H, W): the previous layer's output. May be empty when
    /// <paramref name="inputActivation"/> is Identity.</param>
    /// <param name="inputGradient">dx (count, C, H, W), overwritten.</param>
    /// <param name="count">Images in the batch.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="inputActivation">The previous layer's activation: Identity, Sigmoid, Tanh or Relu.</param>
    /// <exception cref="ArgumentException">A span is too short, the shape is invalid, an argmax lies outside its
    /// image's channel plane, or the activation is Softmax.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, ReadOnlySpan<T> x,
        Span<T> inputGradient, int count, in PoolShape shape, Activation inputActivation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate(nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (inputActivation is not (Activation.Identity or Activation.Sigmoid or Activation.Tanh or Activation.Relu))
            throw new ArgumentException($"{inputActivation} is not differentiated here.", nameof(inputActivation));
        RequireLength(outputGradient.Length, (long)count * shape.OutputSize, nameof(outputGradient));
        RequireLength(argmax.Length, (long)count * shape.OutputSize, nameof(argmax));
        RequireLength(inputGradient.Length, (long)count * shape.InputSize, nameof(inputGradient));
        if (inputActivation != Activation.Identity) RequireLength(x.Length, (long)count * shape.InputSize, nameof(x));
        int planes = count * shape.Channels;
        if (planes == 0) return;
        bool valid;
        fixed (T* dyPointer = outputGradient, dxPointer = inputGradient, xPointer = x)
        fixed (int* argmaxPointer = argmax)
        {
            var pass = new BackwardPass<T>(shape, dyPointer, argmaxPointer, xPointer, dxPointer, inputActivation);
            int pieces = Pieces(planes, shape.Height * shape.Width);
            valid = pieces == 1 ? BackwardPlanes(pass, 0, planes) : BackwardInParallel(pass, planes, pieces);
        }
        if (!valid)
            throw new ArgumentException("An argmax lies outside the channel plane of its output.", nameof(argmax));
    }

    /// <summary>
    /// The backward pass of <see cref="Forward{T}(ReadOnlySpan{T}, Span{T}, Span{int}, int, in PoolShape, Activation)"/>
    /// with an activation: dy ⊙= f'(y) in place (f' from the layer's output y), then routed to each window's winner,
    /// so that dx leaves as the previous layer's dz. The derivative is taken on one value per window, where routing
    /// first would take it on every input.
    /// </summary>
    /// <param name="outputGradient">dy (count, C, Ho, Wo), multiplied by f'(y) in place.</param>
    /// <param name="y">Forward's output (count, C, Ho, Wo); may be empty when <paramref name="activation"/> is Identity.</param>
    /// <param name="activation">f: Identity, Sigmoid, Tanh or Relu.</param>
    /// <param name="argmax">Forward's argmax (count, C, Ho, Wo).</param>
    /// <param name="inputGradient">dx (count, C, H, W), overwritten.</param>
    /// <param name="count">Images in the batch.</param>
    /// <param name="shape">The geometry.</param>
    /// <exception cref="ArgumentException">A span is too short, the shape is invalid, an argmax lies outside its
    /// image's channel plane, or the activation is Softmax.</exception>
    public static unsafe void BackwardThroughActivation<T>(Span<T> outputGradient, ReadOnlySpan<T> y, Activation activation,
        ReadOnlySpan<int> argmax, Span<T> inputGradient, int count, in PoolShape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate(nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (activation is not (Activation.Identity or Activation.Sigmoid or Activation.Tanh or Activation.Relu))
            throw new ArgumentException($"{activation} is not differentiated here.", nameof(activation));
        RequireLength(outputGradient.Length, (long)count * shape.OutputSize, nameof(outputGradient));
        if (activation != Activation.Identity) RequireLength(y.Length, (long)count * shape.OutputSize, nameof(y));
        RequireLength(argmax.Length, (long)count * shape.OutputSize, nameof(argmax));
        RequireLength(inputGradient.Length, (long)count * shape.InputSize, nameof(inputGradient));
        if (activation != Activation.Identity && (outputGradient.Overlaps(y) || inputGradient.Overlaps(y)))
            throw new ArgumentException("The gradients must not overlap the output.", nameof(outputGradient));
        int planes = count * shape.Channels;
        if (planes == 0) return;
        bool valid;
        fixed (T* dyPointer = outputGradient, dxPointer = inputGradient, yPointer = y)
        fixed (int* argmaxPointer = argmax)
        {
            var pass = new BackwardPass<T>(shape, dyPointer, argmaxPointer, null, dxPointer, Activation.Identity, yPointer, activation);
            int pieces = Pieces(planes, shape.Height * shape.Width);
            valid = pieces == 1 ? BackwardPlanes(pass, 0, planes) : BackwardInParallel(pass, planes, pieces);
        }
        if (!valid)
            throw new ArgumentException("An argmax lies outside the channel plane of its output.", nameof(argmax));
    }

    /// <summary>A backward call's operands, for the workers: the derivative of the input's activation (taken from x)
    /// or of the output's (taken from y, applied to dy first).</summary>
    private readonly unsafe struct BackwardPass<T>(PoolShape shape, T* dy, int* argmax, T* x, T* dx, Activation activation,
        T* y = null, Activation outputActivation = Activation.Identity) where T : unmanaged
    {
        public readonly PoolShape Shape = shape;
        public readonly T* Dy = dy, X = x, Dx = dx, Y = y;
        public readonly int* Argmax = argmax;
        public readonly Activation Activation = activation, OutputActivation = outputActivation;
    }

    /// <summary>Pieces to cut <paramref name="planes"/> planes into: one per <see cref="ParallelInputs"/> inputs, at
    /// most four per core. The result never depends on the cut: every output and every input gradient is computed by
    /// one piece.</summary>
    private static int Pieces(int planes, int planeSize)
    {
        if (Environment.ProcessorCount == 1) return 1;
        long pieces = (long)planes * planeSize / ParallelInputs;
        return (int)Math.Clamp(pieces, 1, Math.Min(planes, 4L * Environment.ProcessorCount));
    }

    private static unsafe void ForwardInParallel<T>(PoolShape shape, T* x, T* y, int* argmax, int planes, int pieces,
        Activation activation) where T : unmanaged, IFloatingPointIeee754<T> =>
        WorkerPool.For(pieces, new ForwardPieces<T>(shape, x, y, argmax, planes, pieces, activation));

    private static unsafe bool BackwardInParallel<T>(BackwardPass<T> pass, int planes, int pieces)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int invalid = 0; // on this stack, which outlives the call
        WorkerPool.For(pieces, new BackwardPieces<T>(pass, planes, pieces, &invalid));
        return invalid == 0;
    }

    private readonly unsafe struct ForwardPieces<T>(PoolShape shape, T* x, T* y, int* argmax, int planes, int pieces,
        Activation activation) : IParallelBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int piece)
        {
            (int start, int end) = WorkerPool.Part(planes, pieces, piece);
            PoolAndActivate(shape, x, y, argmax, start, end, activation);
        }
    }

    /// <summary>Pools planes [start, end), then applies <paramref name="activation"/> to their outputs while they are
    /// still in cache.</summary>
    private static unsafe void PoolAndActivate<T>(in PoolShape shape, T* x, T* y, int* argmax, int start, int end,
        Activation activation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForwardPlanes(shape, x, y, argmax, start, end);
        if (activation == Activation.Identity) return;
        int outputPlane = shape.OutputHeight * shape.OutputWidth;
        Activations.Forward(activation, new Span<T>(y + (nint)start * outputPlane, (end - start) * outputPlane));
    }

    /// <summary>
    /// Pools one image whose input (C, H, W) is at <paramref name="x"/>, which need not lie inside a batch buffer (a
    /// convolution's per-image scratch): y and argmax point at the whole batch's outputs, and each argmax is the index
    /// the winner would have in a batch buffer holding that input at image·C·H·W, as <see cref="Forward{T}(ReadOnlySpan{T}, Span{T}, Span{int}, int, in PoolShape, Activation)"/>
    /// would record.
    /// </summary>
    internal static unsafe void ForwardImage<T>(in PoolShape shape, T* x, int image, T* y, int* argmax, Activation activation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The batch buffer this input would sit in: only the planes of this image are read through it.
        T* batch = x - (nint)image * shape.InputSize;
        PoolAndActivate(shape, batch, y, argmax, image * shape.Channels, (image + 1) * shape.Channels, activation);
    }

    /// <summary>
    /// The backward pass of <see cref="ForwardImage{T}"/>: dy ⊙= f'(y) in place for this image, then the gradient
    /// routed into the image's input gradient at <paramref name="dx"/> (C, H, W, overwritten), which need not lie
    /// inside a batch buffer. dy, y and argmax point at the whole batch's. False if an argmax lies outside its plane.
    /// </summary>
    internal static unsafe bool BackwardImage<T>(in PoolShape shape, T* dy, T* y, Activation activation, int* argmax, int image, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* batch = dx - (nint)image * shape.InputSize;
        var pass = new BackwardPass<T>(shape, dy, argmax, null, batch, Activation.Identity, y, activation);
        return BackwardPlanes(pass, image * shape.Channels, (image + 1) * shape.Channels);
    }

    private readonly unsafe struct BackwardPieces<T>(BackwardPass<T> pass, int planes, int pieces, int* invalid)
        : IParallelBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int piece)
        {
            (int start, int end) = WorkerPool.Part(planes, pieces, piece);
            if (!BackwardPlanes(pass, start, end)) Volatile.Write(ref *invalid, 1);
        }
    }

    /// <summary>Pools planes [start, end) (a plane is one channel of one image).</summary>
    /// <remarks>Float 2×2 windows with stride 2 take a vectorised path. Elsewhere, no branches on the data: on random
    /// inputs a compare-and-branch per element mispredicts about once per window, which made this three times slower
    /// than the loads. The running maximum and the window offset of the first maximum stay in vector registers,
    /// updated by masked selects.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPlanes<T>(in PoolShape shape, T* x, T* y, int* argmax, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = shape.Width, size = shape.Size, stride = shape.Stride;
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth;
        int planeSize = shape.Height * width, outputPlane = outputHeight * outputWidth;
        if (typeof(T) == typeof(float) && size == 2 && stride == 2 && Sse.IsSupported)
        {
            ForwardPlanes2x2((float*)x, (float*)y, argmax, start, end, shape.Height, width, outputHeight, outputWidth);
            return;
        }
        bool selects = Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
        for (int plane = start; plane < end; plane++)
        {
            int planeStart = plane * planeSize;
            T* xPlane = x + planeStart;
            T* yPlane = y + (nint)plane * outputPlane;
            int* argmaxPlane = argmax + (nint)plane * outputPlane;
            for (int oy = 0; oy < outputHeight; oy++)
            {
                T* windowRow = xPlane + oy * stride * width;
                int rowStart = oy * stride * width;
                for (int ox = 0; ox < outputWidth; ox++)
                {
                    T* window = windowRow + ox * stride;
                    int offset; // of the maximum within the window, row-major: i·size + j
                    T max;
                    if (selects) offset = WindowMaximum(window, width, size, out max);
                    else
                    {
                        offset = 0;
                        max = window[0];
                        for (int i = 0; i < size; i++)
                            for (int j = 0; j < size; j++)
                                if (window[i * width + j] > max) { max = window[i * width + j]; offset = i * size + j; }
                    }
                    int output = oy * outputWidth + ox;
                    yPlane[output] = max;
                    (int row, int column) = size == 2 ? (offset >> 1, offset & 1) : Math.DivRem(offset, size);
                    argmaxPlane[output] = planeStart + rowStart + ox * stride + row * width + column;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ForwardPlanes{T}"/> for float 2×2 windows with stride 2, the common case, four windows at a time: two
    /// 4-element loads per input row split into even and odd columns by one shuffle each, then three masked selects
    /// in window order (strict comparisons keep the first maximum, as everywhere).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPlanes2x2(float* x, float* y, int* argmax, int start, int end, int height, int width,
        int outputHeight, int outputWidth)
    {
        int planeSize = height * width, outputPlane = outputHeight * outputWidth;
        Vector128<int> columnOffsets = Vector128.Create(0, 2, 4, 6);
        Vector128<int> right = Vector128.Create(1), below = Vector128.Create(width), belowRight = Vector128.Create(width + 1);
        for (int plane = start; plane < end; plane++)
        {
            int planeStart = plane * planeSize;
            float* yRow = y + (nint)plane * outputPlane;
            int* argmaxRow = argmax + (nint)plane * outputPlane;
            for (int oy = 0; oy < outputHeight; oy++, yRow += outputWidth, argmaxRow += outputWidth)
            {
                int rowStart = planeStart + 2 * oy * width;
                float* top = x + rowStart, bottom = top + width;
                int ox = 0;
                for (; ox + 4 <= outputWidth; ox += 4)
                {
                    Vector128<float> a = Vector128.Load(top + 2 * ox), b = Vector128.Load(top + 2 * ox + 4);
                    Vector128<float> c = Vector128.Load(bottom + 2 * ox), d = Vector128.Load(bottom + 2 * ox + 4);
                    Vector128<float> max = Sse.Shuffle(a, b, 0b10_00_10_00); // (0, 0) of each window
                    Vector128<int> offset = Vector128<int>.Zero;
                    Vector128<float> value = Sse.Shuffle(a, b, 0b11_01_11_01); // (0, 1)
                    Vector128<float> greater = Vector128.GreaterThan(value, max);
                    max = Vector128.ConditionalSelect(greater, value, max);
                    offset = Vector128.ConditionalSelect(greater.AsInt32(), right, offset);
                    value = Sse.Shuffle(c, d, 0b10_00_10_00); // (1, 0)
                    greater = Vector128.GreaterThan(value, max);
                    max = Vector128.ConditionalSelect(greater, value, max);
                    offset = Vector128.ConditionalSelect(greater.AsInt32(), below, offset);
                    value = Sse.Shuffle(c, d, 0b11_01_11_01); // (1, 1)
                    greater = Vector128.GreaterThan(value, max);
                    max = Vector128.ConditionalSelect(greater, value, max);
                    offset = Vector128.ConditionalSelect(greater.AsInt32(), belowRight, offset);
                    max.Store(yRow + ox);
                    (Vector128.Create(rowStart + 2 * ox) + columnOffsets + offset).Store(argmaxRow + ox);
                }
                for (; ox < outputWidth; ox++)
                {
                    float* window = top + 2 * ox;
                    int best = 0;
                    float max = window[0];
                    if (window[1] > max) { max = window[1]; best = 1; }
                    if (window[width] > max) { max = window[width]; best = width; }
                    if (window[width + 1] > max) { max = window[width + 1]; best = width + 1; }
                    yRow[ox] = max;
                    argmaxRow[ox] = rowStart + 2 * ox + best;
                }
            }
        }
    }

    /// <summary>The first maximum of a size × size window (row stride <paramref name="width"/>) and its row-major
    /// offset, by scalar compares and selects in vector registers. Offsets are small integers, exact in T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int WindowMaximum<T>(T* window, int width, int size, out T max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<T> best = Vector128.CreateScalarUnsafe(window[0]), bestOffset = Vector128<T>.Zero;
        Vector128<T> offset = Vector128<T>.Zero, one = Vector128.CreateScalarUnsafe(T.One);
        for (int i = 0; i < size; i++)
        {
            T* row = window + i * width;
            for (int j = 0; j < size; j++, offset += one)
            {
                Vector128<T> value = Vector128.CreateScalarUnsafe(row[j]);
                Vector128<T> greater = Vector128.GreaterThan(value, best);
                best = Vector128.ConditionalSelect(greater, value, best);
                bestOffset = Vector128.ConditionalSelect(greater, offset, bestOffset);
            }
        }
        max = best.ToScalar();
        return int.CreateTruncating(bestOffset.ToScalar());
    }

    /// <summary>The gradient of planes [start, end); false if an argmax lies outside its plane (nothing is written
    /// there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool BackwardPlanes<T>(in BackwardPass<T> pass, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PoolShape shape = pass.Shape;
        T* dy = pass.Dy, dx = pass.Dx;
        int* argmax = pass.Argmax;
        int planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        bool fast = typeof(T) == typeof(float) && shape.Size == 2 && shape.Stride == 2 && Sse2.IsSupported;
        bool valid = true;
        if (pass.OutputActivation != Activation.Identity)
            MultiplyByDerivative(pass.OutputActivation, pass.Y + (nint)start * outputPlane, dy + (nint)start * outputPlane,
                (end - start) * outputPlane);
        for (int plane = start; plane < end; plane++)
        {
            uint planeStart = (uint)(plane * planeSize);
            if (!fast || !BackwardPlane2x2((float*)dy, argmax, (float*)dx, plane, shape.Height, shape.Width,
                    shape.OutputHeight, shape.OutputWidth))
            {
                new Span<T>(dx + planeStart, planeSize).Clear(); // plane by plane, so that the additions find it in L1
                T* dyPlane = dy + (nint)plane * outputPlane;
                int* argmaxPlane = argmax + (nint)plane * outputPlane;
                for (int output = 0; output < outputPlane; output++)
                {
                    uint offset = (uint)argmaxPlane[output] - planeStart; // wraps to large when below the plane
                    if (offset < (uint)planeSize) dx[planeStart + offset] += dyPlane[output];
                    else valid = false;
                }
            }
            if (pass.Activation != Activation.Identity)
                MultiplyByDerivative(pass.Activation, pass.X + planeStart, dx + planeStart, planeSize);
        }
        return valid;
    }

    /// <summary>gradient ⊙= f'(y) with f' written in terms of the output y, exactly as
    /// <see cref="Activations.Backward{T}"/> computes it (the same operations, element by element).</summary>
    private static unsafe void MultiplyByDerivative<T>(Activation activation, T* y, T* gradient, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Sigmoid: MultiplyByDerivative<T, SigmoidDerivative<T>>(y, gradient, count); break;
            case Activation.Tanh: MultiplyByDerivative<T, TanhDerivative<T>>(y, gradient, count); break;
            case Activation.Relu: MultiplyByDerivative<T, ReluDerivative<T>>(y, gradient, count); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyByDerivative<T, TDerivative>(T* y, T* gradient, int count)
        where T : unmanaged, IFloatingPointIeee754<T> where TDerivative : IDerivative<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= count - Vector<T>.Count; i += Vector<T>.Count)
                Unsafe.WriteUnaligned(gradient + i, TDerivative.Times(
                    Unsafe.ReadUnaligned<Vector<T>>(gradient + i), Unsafe.ReadUnaligned<Vector<T>>(y + i)));
        for (; i < count; i++) gradient[i] = TDerivative.Times(gradient[i], y[i]);
    }

    /// <summary>g·f'(y), f' in terms of the output y, as scalars and as vectors (the same operations).</summary>
    private interface IDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract T Times(T gradient, T y);
        static abstract Vector<T> Times(Vector<T> gradient, Vector<T> y);
    }

    private readonly struct SigmoidDerivative<T> : IDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Times(T gradient, T y) => gradient * (y * (T.One - y));
        public static Vector<T> Times(Vector<T> gradient, Vector<T> y) => gradient * (y * (Vector<T>.One - y));
    }

    private readonly struct TanhDerivative<T> : IDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Times(T gradient, T y) => gradient * (T.One - y * y);
        public static Vector<T> Times(Vector<T> gradient, Vector<T> y) => gradient * (Vector<T>.One - y * y);
    }

    private readonly struct ReluDerivative<T> : IDerivative<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Times(T gradient, T y) => y <= T.Zero ? T.Zero : gradient;
        public static Vector<T> Times(Vector<T> gradient, Vector<T> y) =>
            Vector.ConditionalSelect(Vector.LessThanOrEqual(y, Vector<T>.Zero), Vector<T>.Zero, gradient);
    }

    /// <summary>
    /// The gradient of one plane for float 2×2 windows with stride 2: windows do not overlap, so every input is
    /// written once, dy where it was its window's maximum and zero elsewhere (no clearing pass, no read-modify-write),
    /// four windows at a time. Returns false, having written an unspecified part of the plane, when an argmax is not
    /// inside its own window; the caller then redoes the plane the general way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool BackwardPlane2x2(float* dy, int* argmax, float* dx, int plane, int height, int width,
        int outputHeight, int outputWidth)
    {
        int planeStart = plane * height * width;
        float* dyRow = dy + (nint)plane * outputHeight * outputWidth;
        int* argmaxRow = argmax + (nint)plane * outputHeight * outputWidth;
        float* dxPlane = dx + planeStart;
        Vector128<int> columnOffsets = Vector128.Create(0, 2, 4, 6);
        Vector128<int> right = Vector128.Create(1), below = Vector128.Create(width), belowRight = Vector128.Create(width + 1);
        for (int oy = 0; oy < outputHeight; oy++, dyRow += outputWidth, argmaxRow += outputWidth)
        {
            int rowStart = planeStart + 2 * oy * width;
            float* top = dxPlane + 2 * oy * width, bottom = top + width;
            int ox = 0;
            for (; ox + 4 <= outputWidth; ox += 4)
            {
                Vector128<float> gradient = Vector128.Load(dyRow + ox);
                Vector128<int> offset = Vector128.Load(argmaxRow + ox) - (Vector128.Create(rowStart + 2 * ox) + columnOffsets);
                Vector128<int> topLeft = Vector128.Equals(offset, Vector128<int>.Zero), topRight = Vector128.Equals(offset, right);
                Vector128<int> bottomLeft = Vector128.Equals(offset, below), bottomRight = Vector128.Equals(offset, belowRight);
                if ((topLeft | topRight | bottomLeft | bottomRight) != Vector128<int>.AllBitsSet) return false;
                Vector128<float> even = gradient & topLeft.AsSingle(), odd = gradient & topRight.AsSingle();
                Sse.UnpackLow(even, odd).Store(top + 2 * ox);
                Sse.UnpackHigh(even, odd).Store(top + 2 * ox + 4);
                even = gradient & bottomLeft.AsSingle();
                odd = gradient & bottomRight.AsSingle();
                Sse.UnpackLow(even, odd).Store(bottom + 2 * ox);
                Sse.UnpackHigh(even, odd).Store(bottom + 2 * ox + 4);
            }
            for (; ox < outputWidth; ox++)
            {
                int offset = argmaxRow[ox] - (rowStart + 2 * ox);
                if (offset != 0 && offset != 1 && offset != width && offset != width + 1) return false;
                float* window = top + 2 * ox;
                window[0] = window[1] = window[width] = window[width + 1] = 0f;
                window[offset] = dyRow[ox];
            }
            // An odd width leaves a last column in no window.
            for (int column = 2 * outputWidth; column < width; column++) top[column] = bottom[column] = 0f;
        }
        // And an odd height a last row.
        new Span<float>(dxPlane + 2 * outputHeight * width, (height - 2 * outputHeight) * width).Clear();
        return true;
    }

    private static void RequireLength(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"{name} holds {length} elements; the call needs {required}.", name);
    }

    /// <summary>Kernel body, one thread per output (n, c, oy, ox): the window's maximum and its flat index in x
    /// (the first of equal maxima in row-major window order).</summary>
    public static void ForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, PoolShape shape)
    {
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth, width = shape.Width, size = shape.Size;
        int ox = index % outputWidth, rest = index / outputWidth;
        int oy = rest % outputHeight, plane = rest / outputHeight;
        int first = (plane * shape.Height + oy * shape.Stride) * width + ox * shape.Stride;
        int best = first;
        float max = x[first];
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++)
            {
                int at = first + i * width + j;
                float v = x[at];
                if (v > max) { max = v; best = at; }
            }
        }
        y[index] = max;
        argmax[index] = best;
    }

    /// <summary>
    /// Kernel body, one thread per input (n, c, iy, ix): the sum of dy over every window that contains this input and
    /// took it as its maximum, times f'(x) of the previous layer's activation (taken from its output x), so the
    /// gradient leaves as that layer's dz. A gather, so no atomics.
    /// </summary>
    public static void BackwardKernel(Index1D index, ArrayView<float> outputGradient, ArrayView<int> argmax, ArrayView<float> x,
        ArrayView<float> inputGradient, PoolShape shape, Activation inputActivation)
    {
        int height = shape.Height, width = shape.Width, size = shape.Size, stride = shape.Stride;
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth;
        int self = index;
        int ix = self % width, rest = self / width;
        int iy = rest % height, plane = rest / height;
        // Windows oy with oy·s ≤ iy < oy·s + size, i.e. ⌈(iy − size + 1)/s⌉ ≤ oy ≤ ⌊iy/s⌋.
        int oyFirst = iy - size + 1 <= 0 ? 0 : (iy - size + stride) / stride;
        int oyLast = iy / stride < outputHeight - 1 ? iy / stride : outputHeight - 1;
        int oxFirst = ix - size + 1 <= 0 ? 0 : (ix - size + stride) / stride;
        int oxLast = ix / stride < outputWidth - 1 ? ix / stride : outputWidth - 1;
        float sum = 0f;
        for (int oy = oyFirst; oy <= oyLast; oy++)
        {
            for (int ox = oxFirst; ox <= oxLast; ox++)
            {
                int output = (plane * outputHeight + oy) * outputWidth + ox;
                if (argmax[output] == self) sum += outputGradient[output];
            }
        }
        inputGradient[index] = sum * Activations.Derivative(inputActivation, x[index]);
    }
}
