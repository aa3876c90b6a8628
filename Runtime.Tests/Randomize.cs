using System.Numerics;
using Dsl.Cpu;

namespace Dsl.Tests;

internal static class Randomize
{
    /// <summary>
    /// A seed that depends only on <paramref name="parts"/>' text (FNV-1a over it): the same in every run. (The
    /// framework's HashCode is salted per process, so seeds made from it changed each run, and a test case now and
    /// then drew a near-tie that a finite difference steps across.)
    /// </summary>
    public static int Seed(params object[] parts)
    {
        uint hash = 2166136261;
        foreach (char c in string.Join("|", parts)) hash = (hash ^ c) * 16777619;
        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>
    /// Every parameter uniform in ±1/√fan-in (weights; fan-in = all dimensions but the first for a conv kernel
    /// (F, C, kh, kw), the first for a dense matrix (in, out)) or ±0.1 (biases): non-zero everywhere, as checks need,
    /// yet small enough that tanh and sigmoid do not saturate. Saturated units make max-pooling windows near-ties,
    /// whose winner a finite difference or a different summation order can flip.
    /// </summary>
    public static void Parameters<T>(IEnumerable<Parameter<T>> parameters, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (Parameter<T> p in parameters)
        {
            int fanIn = p.Shape.Length switch { 4 => p.Shape[1] * p.Shape[2] * p.Shape[3], 2 => p.Shape[0], _ => 0 };
            double scale = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0.1;
            for (int i = 0; i < p.Values.Length; i++) p.Values[i] = T.CreateChecked((random.NextDouble() * 2 - 1) * scale);
        }
    }
}
