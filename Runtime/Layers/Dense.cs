using System.Numerics;
using System.Numerics.Tensors;
using Dsl.Cpu;
using ILGPU;

namespace Dsl.Layers;

/// <summary>
/// The fully connected layer: y (n, outputs) = f(x (n, inputs) · W (inputs, outputs) + b (outputs)).
/// CPU forward and backward sit beside the ILGPU kernel bodies that must compute the same thing; generated kernels
/// call the kernel bodies with the layer's sizes as constants.
/// </summary>
public static class Dense
{
    /// <summary>y = f(x·W + b) on the CPU, the bias and activation fused row by row while the row is in cache.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> y,
        int count, int inputs, int outputs, Activation activation) where T : unmanaged, IFloatingPointIeee754<T>
    {
        y = y[..(count * outputs)];
        Gemm.Multiply(false, false, count, outputs, inputs, x[..(count * inputs)], weights, y, accumulate: false);
        for (int row = 0; row < count; row++)
        {
            Span<T> z = y.Slice(row * outputs, outputs);
            TensorPrimitives.Add(z, bias, z);
            Activations.Forward(activation, z);
        }
    }

    /// <summary>
    /// Given dz = dL/dz (n, outputs) for the pre-activation: dW = xᵀ·dz, db = Σ_rows dz, and, unless
    /// <paramref name="inputGradient"/> is empty (the first layer), dx = dz·Wᵀ (n, inputs).
    /// Gradients are overwritten, not accumulated.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> outputGradient,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> inputGradient, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> dz = outputGradient[..(count * outputs)];
        Gemm.Multiply(true, false, inputs, outputs, count, x[..(count * inputs)], dz, weightGradient, accumulate: false);
        biasGradient.Clear();
        for (int row = 0; row < count; row++) TensorPrimitives.Add(biasGradient, dz.Slice(row * outputs, outputs), biasGradient);
        if (!inputGradient.IsEmpty)
            Gemm.Multiply(false, true, count, inputs, outputs, dz, weights, inputGradient[..(count * inputs)], accumulate: false);
    }

    /// <summary>Kernel body, one thread per output (row, unit): y = f(x·W + b).</summary>
    public static void ForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> weights, ArrayView<float> bias,
        ArrayView<float> y, int inputs, int outputs, Activation activation)
    {
        int row = index / outputs, unit = index % outputs;
        float z = bias[unit];
        for (int i = 0; i < inputs; i++) z += x[row * inputs + i] * weights[i * outputs + unit];
        y[index] = Activations.Apply(activation, z);
    }

    /// <summary>Kernel body, one thread per weight (input i, unit j): dW = Σ_rows x·dz + the L1/L2 terms.</summary>
    public static void WeightGradientKernel(Index1D index, ArrayView<float> x, ArrayView<float> outputGradient,
        ArrayView<float> weights, ArrayView<float> weightGradient, int count, float l1, float l2, int inputs, int outputs)
    {
        int input = index / outputs, unit = index % outputs;
        float sum = 0f;
        for (int row = 0; row < count; row++) sum += x[row * inputs + input] * outputGradient[row * outputs + unit];
        float w = weights[index];
        weightGradient[index] = sum + Regularization.Gradient(w, l1, l2);
    }

    /// <summary>Kernel body, one thread per unit: db = Σ_rows dz.</summary>
    public static void BiasGradientKernel(Index1D unit, ArrayView<float> outputGradient, ArrayView<float> biasGradient,
        int count, int outputs)
    {
        float sum = 0f;
        for (int row = 0; row < count; row++) sum += outputGradient[row * outputs + unit];
        biasGradient[unit] = sum;
    }

    /// <summary>
    /// Kernel body, one thread per input (row, i): dx = (dz·Wᵀ) ⊙ f'(x), fusing the previous layer's activation
    /// derivative (taken from its output x) so the gradient leaves as that layer's dz.
    /// </summary>
    public static void InputGradientKernel(Index1D index, ArrayView<float> outputGradient, ArrayView<float> weights,
        ArrayView<float> x, ArrayView<float> inputGradient, int inputs, int outputs, Activation inputActivation)
    {
        int row = index / inputs, input = index % inputs;
        float sum = 0f;
        for (int unit = 0; unit < outputs; unit++) sum += outputGradient[row * outputs + unit] * weights[input * outputs + unit];
        inputGradient[index] = sum * Activations.Derivative(inputActivation, x[index]);
    }
}
