using System.Numerics;
using ILGPU;

namespace Dsl.Layers;

// API stub: the implementation lands with the convolution work. Signatures are what the generator emits calls to.

/// <summary>The geometry of one convolution layer, fixed at compile time by the generator.</summary>
public readonly struct ConvShape
{
    public ConvShape(int channels, int height, int width, int filters, int kernelHeight, int kernelWidth, int stride, int padding)
    {
        Channels = channels; Height = height; Width = width; Filters = filters;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; Stride = stride; Padding = padding;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Filters { get; }
    public int KernelHeight { get; }
    public int KernelWidth { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutputHeight => (Height + 2 * Padding - KernelHeight) / Stride + 1;
    public int OutputWidth => (Width + 2 * Padding - KernelWidth) / Stride + 1;
    public int InputSize => Channels * Height * Width;
    public int OutputSize => Filters * OutputHeight * OutputWidth;
    public int PatchSize => Channels * KernelHeight * KernelWidth;
}

public sealed class ConvWorkspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public ConvWorkspace(ConvShape shape, int batchCapacity) => throw new NotImplementedException();
}

public static class Conv
{
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> y, int count,
        in ConvShape shape, Activation activation, ConvWorkspace<T> workspace) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotImplementedException();

    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> outputGradient,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> inputGradient, int count, in ConvShape shape, ConvWorkspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();

    public static void ForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias,
        ArrayView<float> y, ConvShape shape, Activation activation) { }

    public static void WeightGradientKernel(Index1D index, ArrayView<float> x, ArrayView<float> outputGradient,
        ArrayView<float> weights, ArrayView<float> weightGradient, int count, float l1, float l2, ConvShape shape) { }

    public static void BiasGradientKernel(Index1D filter, ArrayView<float> outputGradient, ArrayView<float> biasGradient,
        int count, ConvShape shape) { }

    public static void InputGradientKernel(Index1D index, ArrayView<float> outputGradient, ArrayView<float> weights,
        ArrayView<float> x, ArrayView<float> inputGradient, ConvShape shape, Activation inputActivation) { }
}
