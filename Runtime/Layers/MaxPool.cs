using System.Numerics;
using ILGPU;

namespace Dsl.Layers;

// API stub: the implementation lands with the pooling work. Signatures are what the generator emits calls to.

/// <summary>The geometry of one max-pooling layer, fixed at compile time by the generator.</summary>
public readonly struct PoolShape
{
    public PoolShape(int channels, int height, int width, int size, int stride)
    {
        Channels = channels; Height = height; Width = width; Size = size; Stride = stride;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Size { get; }
    public int Stride { get; }
    public int OutputHeight => (Height - Size) / Stride + 1;
    public int OutputWidth => (Width - Size) / Stride + 1;
    public int InputSize => Channels * Height * Width;
    public int OutputSize => Channels * OutputHeight * OutputWidth;
}

public static class MaxPool
{
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int count, in PoolShape shape)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();

    public static void Backward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int count,
        in PoolShape shape) where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();

    public static void ForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, PoolShape shape) { }

    public static void BackwardKernel(Index1D index, ArrayView<float> outputGradient, ArrayView<int> argmax, ArrayView<float> x,
        ArrayView<float> inputGradient, PoolShape shape, Activation inputActivation) { }
}
