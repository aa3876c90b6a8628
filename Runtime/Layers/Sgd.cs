using System.Numerics;
using ILGPU;

namespace Dsl.Layers;

/// <summary>Stochastic gradient descent with classical momentum: v ← μv − η∇, w ← w + v (plain SGD when μ = 0).</summary>
public static class Sgd
{
    /// <summary>Updates <paramref name="values"/> from <paramref name="gradient"/>, keeping <paramref name="velocity"/>.</summary>
    public static void Step<T>(Span<T> values, ReadOnlySpan<T> gradient, Span<T> velocity, T learningRate, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (momentum == T.Zero)
        {
            for (int i = 0; i < values.Length; i++) values[i] -= learningRate * gradient[i];
            return;
        }
        for (int i = 0; i < values.Length; i++)
        {
            velocity[i] = momentum * velocity[i] - learningRate * gradient[i];
            values[i] += velocity[i];
        }
    }

    /// <summary>Kernel body, one thread per parameter: the same step.</summary>
    public static void StepKernel(Index1D i, ArrayView<float> values, ArrayView<float> gradient, ArrayView<float> velocity,
        float learningRate, float momentum)
    {
        float v = momentum * velocity[i] - learningRate * gradient[i];
        velocity[i] = v;
        values[i] += v;
    }
}
