using Dsl.Cpu;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests.Cpu;

/// <summary>
/// <see cref="FastMath"/> against <see cref="Math.Tanh"/> and the sigmoid in double: random arguments over every range
/// that matters (tiny, around zero, the body, saturation), every span length around the vector width (so the tail
/// path runs), and the special values.
/// </summary>
public class FastMathTests(ITestOutputHelper output)
{
    /// <summary>Allowed error: four float32 units in the last place of the exact value, relative; absolute for
    /// results below the smallest normal float, where float itself can say no more.</summary>
    private const double RelativeTolerance = 4 * 6e-8, AbsoluteTolerance = 1.2e-38;

    public static TheoryData<string> Functions => new() { "tanh", "sigmoid" };

    [Theory]
    [MemberData(nameof(Functions))]
    public void Matches_the_exact_function_on_random_arguments(string function)
    {
        var random = new Random(20261129);
        double worst = 0;
        float worstAt = 0;
        foreach (double scale in new[] { 1e-30, 1e-6, 1e-3, 0.1, 0.5, 1, 3, 10, 30, 100 })
        {
            float[] x = new float[10_003];
            for (int i = 0; i < x.Length; i++) x[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            float[] y = Run(function, x);
            for (int i = 0; i < x.Length; i++)
            {
                double exact = Exact(function, x[i]);
                double error = Math.Abs(y[i] - exact);
                Assert.True(error <= Math.Max(RelativeTolerance * Math.Abs(exact), AbsoluteTolerance),
                    $"{function}({x[i]:R}) = {y[i]:R}, exact {exact:R}");
                double relative = Math.Abs(exact) < AbsoluteTolerance ? 0 : error / Math.Abs(exact);
                if (relative > worst) (worst, worstAt) = (relative, x[i]);
            }
        }
        output.WriteLine($"{function}: worst relative error {worst:E2} at {worstAt:R}");
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Every_length_gives_the_same_value_per_element(string function)
    {
        // The tail goes through a padded vector: it must agree with the whole-vector path element for element.
        var random = new Random(7);
        float[] all = new float[70];
        for (int i = 0; i < all.Length; i++) all[i] = (float)(random.NextDouble() * 8 - 4);
        float[] reference = Run(function, all);
        for (int length = 0; length <= all.Length; length++)
            Assert.Equal(reference[..length], Run(function, all[..length]));
    }

    [Fact]
    public void Special_values()
    {
        float[] x = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon,
            9.5f, -9.5f, 1e30f, -1e30f, float.MaxValue, float.MinValue];
        float[] tanh = Run("tanh", x), sigmoid = Run("sigmoid", x);
        Assert.Equal([0f, -0f, 1f, -1f], tanh[..4]);
        Assert.True(float.IsNaN(tanh[4]) && float.IsNaN(sigmoid[4]), "NaN must stay NaN (divergence detection relies on it)");
        Assert.Equal([float.Epsilon, -float.Epsilon, 1f, -1f, 1f, -1f, 1f, -1f], tanh[5..]);
        Assert.Equal(0.5f, sigmoid[0]);
        Assert.Equal(0.5f, sigmoid[1]);
        Assert.Equal(1f, sigmoid[2]);
        Assert.Equal(0f, sigmoid[3]);
        Assert.Equal(1f, sigmoid[9]);
        Assert.Equal(0f, sigmoid[10]);
        Assert.All(sigmoid, value => Assert.True(float.IsNaN(value) || value is >= 0f and <= 1f));
    }

    private static float[] Run(string function, float[] x)
    {
        float[] y = (float[])x.Clone();
        if (function == "tanh") FastMath.Tanh(y);
        else FastMath.Sigmoid(y);
        return y;
    }

    private static double Exact(string function, float x) =>
        function == "tanh" ? Math.Tanh(x) : 1 / (1 + Math.Exp(-(double)x));
}
