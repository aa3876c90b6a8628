using System.Numerics;
using System.Runtime.InteropServices;
using Dsl.Cpu;
using ILGPU;

namespace Dsl.Layers;

/// <summary>Stochastic gradient descent with classical momentum: v ← μv − η∇, w ← w + v (plain SGD when μ = 0).</summary>
public static class Sgd
{
    /// <summary>The same step on whole parameter arrays, split over the cores when they are long.</summary>
    public static void Step<T>(T[] values, T[] gradient, T[] velocity, T learningRate, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient.Length != values.Length || velocity.Length != values.Length)
            throw new ArgumentException("Values, gradient and velocity differ in length.");
        ParallelChunks.Run(values.Length, new Steps<T>(values, gradient, velocity, learningRate, momentum));
    }

    private readonly struct Steps<T>(T[] values, T[] gradient, T[] velocity, T learningRate, T momentum)
        : ParallelChunks.IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int count) => Step(values.AsSpan(start, count), gradient.AsSpan(start, count),
            velocity.AsSpan(start, count), learningRate, momentum);
    }

    /// <summary>Updates <paramref name="values"/> from <paramref name="gradient"/>, keeping <paramref name="velocity"/>.</summary>
    /// <remarks>One vectorised pass: the step is memory-bound, so each array is read and written once.</remarks>
    public static void Step<T>(Span<T> values, ReadOnlySpan<T> gradient, Span<T> velocity, T learningRate, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient.Length != values.Length || velocity.Length != values.Length)
            throw new ArgumentException("Values, gradient and velocity differ in length.");
        int vectorized = values.Length - values.Length % Vector<T>.Count;
        Span<Vector<T>> w = MemoryMarshal.Cast<T, Vector<T>>(values[..vectorized]), v = MemoryMarshal.Cast<T, Vector<T>>(velocity[..vectorized]);
        ReadOnlySpan<Vector<T>> g = MemoryMarshal.Cast<T, Vector<T>>(gradient[..vectorized]);
        var rate = new Vector<T>(learningRate);
        if (momentum == T.Zero)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= rate * g[i];
            for (int i = vectorized; i < values.Length; i++) values[i] -= learningRate * gradient[i];
            return;
        }
        var mu = new Vector<T>(momentum);
        for (int i = 0; i < w.Length; i++)
        {
            v[i] = mu * v[i] - rate * g[i];
            w[i] += v[i];
        }
        for (int i = vectorized; i < values.Length; i++)
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
