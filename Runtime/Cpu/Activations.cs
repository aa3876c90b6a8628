using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dsl.Cpu;

/// <summary>
/// Element-wise non-linearities and their derivatives. Derivatives are written in terms of the layer's output y,
/// which forward keeps anyway: σ' = y(1 − y), tanh' = 1 − y², relu' = [y &gt; 0].
/// </summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> in place to one row of <paramref name="values"/>
    /// (Softmax normalises the whole span as one distribution).</summary>
    public static void Forward<T>(Activation activation, Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Identity: break;
            // float, the training precision, takes the fast vectorised versions; double (gradient checks) stays exact.
            case Activation.Sigmoid when typeof(T) == typeof(float): FastMath.Sigmoid(MemoryMarshal.Cast<T, float>(values)); break;
            case Activation.Tanh when typeof(T) == typeof(float): FastMath.Tanh(MemoryMarshal.Cast<T, float>(values)); break;
            case Activation.Sigmoid: TensorPrimitives.Sigmoid<T>(values, values); break;
            case Activation.Tanh: TensorPrimitives.Tanh<T>(values, values); break;
            case Activation.Relu: TensorPrimitives.Max(values, T.Zero, values); break;
            case Activation.Softmax:
                // Shift by the maximum so exp never overflows; the result is unchanged.
                T max = TensorPrimitives.Max<T>(values);
                TensorPrimitives.Subtract(values, max, values);
                TensorPrimitives.Exp<T>(values, values);
                TensorPrimitives.Divide(values, TensorPrimitives.Sum<T>(values), values);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>
    /// Turns dL/dy into dL/dz in place, z being the pre-activation: gradient ⊙ f'(z) with f' taken from the output
    /// <paramref name="outputs"/>. Softmax is not handled here: it is always fused with the loss.
    /// </summary>
    public static void Backward<T>(Activation activation, ReadOnlySpan<T> outputs, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (outputs.Length != gradient.Length) throw new ArgumentException("Outputs and gradient differ in length.", nameof(gradient));
        if (activation == Activation.Identity) return;
        if (activation is not (Activation.Sigmoid or Activation.Tanh or Activation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Softmax is differentiated together with its loss.");

        // Vectors first (a memory-bound pass: one read of each operand, one write), then the scalar tail.
        int vectorized = gradient.Length - gradient.Length % Vector<T>.Count;
        ReadOnlySpan<Vector<T>> y = MemoryMarshal.Cast<T, Vector<T>>(outputs[..vectorized]);
        Span<Vector<T>> g = MemoryMarshal.Cast<T, Vector<T>>(gradient[..vectorized]);
        var one = Vector<T>.One;
        switch (activation)
        {
            case Activation.Sigmoid:
                for (int i = 0; i < g.Length; i++) g[i] *= y[i] * (one - y[i]);
                break;
            case Activation.Tanh:
                for (int i = 0; i < g.Length; i++) g[i] *= one - y[i] * y[i];
                break;
            default: // Relu
                for (int i = 0; i < g.Length; i++) g[i] = Vector.ConditionalSelect(Vector.GreaterThan(y[i], Vector<T>.Zero), g[i], Vector<T>.Zero);
                break;
        }
        for (int i = vectorized; i < gradient.Length; i++)
            gradient[i] *= activation switch
            {
                Activation.Sigmoid => outputs[i] * (T.One - outputs[i]),
                Activation.Tanh => T.One - outputs[i] * outputs[i],
                _ => outputs[i] > T.Zero ? T.One : T.Zero,
            };
    }

    /// <summary>Scalar f(z), for ILGPU kernels and references. Softmax is not element-wise and is rejected.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(Activation activation, float z) => activation switch
    {
        Activation.Sigmoid => 1f / (1f + MathF.Exp(-z)),
        Activation.Tanh => MathF.Tanh(z),
        Activation.Relu => z > 0f ? z : 0f,
        _ => z, // Identity; Softmax layers compute z here and normalise in their own kernel.
    };

    /// <summary>Scalar f'(z) written in terms of y = f(z), for ILGPU kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(Activation activation, float y) => activation switch
    {
        Activation.Sigmoid => y * (1f - y),
        Activation.Tanh => 1f - y * y,
        Activation.Relu => y > 0f ? 1f : 0f,
        _ => 1f,
    };
}
