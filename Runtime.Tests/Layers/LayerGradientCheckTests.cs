using Dsl.Cpu;
using Dsl.Layers;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary>
/// The backward passes of <see cref="Conv"/> and <see cref="MaxPool"/> against central finite differences of the
/// forward pass, in double, for the scalar loss L = Σ y ⊙ R with a fixed random R: dL/dy = R, so dz = R ⊙ f'(y).
/// </summary>
public sealed class LayerGradientCheckTests
{
    private const double Step = 1e-5;

    /// <summary>(C, H, W, F, kh, kw, stride, padding, count, activation).</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, Activation> ConvCases => new()
    {
        { 2, 6, 7, 3, 3, 3, 1, 0, 2, Activation.Identity },
        { 3, 7, 7, 2, 3, 2, 2, 1, 2, Activation.Identity },
        { 1, 5, 6, 2, 2, 2, 1, 2, 3, Activation.Identity },
        { 3, 9, 8, 2, 5, 5, 2, 2, 2, Activation.Identity },
        { 2, 7, 7, 3, 3, 3, 1, 1, 2, Activation.Tanh },
        { 3, 8, 9, 2, 2, 3, 2, 1, 2, Activation.Sigmoid },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv_backward_matches_finite_differences(int c, int h, int w, int f, int kh, int kw, int s, int p, int count,
        Activation activation)
    {
        var shape = new ConvShape(c, h, w, f, kh, kw, s, p);
        var random = new Random(Randomize.Seed(shape, count, activation));
        double[] x = TestData.Uniform(random, count * shape.InputSize);
        double[] weights = TestData.Uniform(random, shape.WeightCount, -0.5, 0.5);
        double[] bias = TestData.Uniform(random, shape.Filters, -0.5, 0.5);
        double[] r = TestData.Uniform(random, count * shape.OutputSize);
        var workspace = new ConvWorkspace<double>(shape, count);
        var y = new double[count * shape.OutputSize];

        double Loss()
        {
            Conv.Forward<double>(x, weights, bias, y, count, shape, activation, workspace);
            double loss = 0;
            for (int i = 0; i < y.Length; i++) loss += y[i] * r[i];
            return loss;
        }

        double loss = Loss();
        double[] dz = (double[])r.Clone();
        Activations.Backward<double>(activation, y, dz);
        var dw = new double[shape.WeightCount];
        var db = new double[shape.Filters];
        var dx = new double[x.Length];
        Conv.Backward<double>(x, weights, dz, dw, db, dx, count, shape, workspace);

        double roundOff = 8 * 2.2e-16 * (Math.Abs(loss) + y.Length) / Step;
        CheckAll(weights, dw, Loss, roundOff, "dW");
        CheckAll(bias, db, Loss, roundOff, "db");
        CheckAll(x, dx, Loss, roundOff, "dx");
    }

    /// <summary>(C, H, W, size, stride, count): non-overlapping and overlapping windows, odd sizes.</summary>
    public static TheoryData<int, int, int, int, int, int> PoolCases => new()
    {
        { 2, 4, 4, 2, 2, 2 },
        { 3, 7, 7, 2, 2, 2 },
        { 2, 9, 7, 3, 3, 2 },
        { 3, 9, 9, 3, 2, 2 },
        { 2, 7, 8, 3, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void MaxPool_backward_matches_finite_differences(int c, int h, int w, int size, int stride, int count)
    {
        var shape = new PoolShape(c, h, w, size, stride);
        var random = new Random(Randomize.Seed(shape, count));
        double[] x = TestData.Uniform(random, count * shape.InputSize);
        double[] r = TestData.Uniform(random, count * shape.OutputSize);
        var y = new double[count * shape.OutputSize];
        var argmax = new int[y.Length];

        double Loss()
        {
            MaxPool.Forward<double>(x, y, argmax, count, shape);
            double loss = 0;
            for (int i = 0; i < y.Length; i++) loss += y[i] * r[i];
            return loss;
        }

        double loss = Loss();
        var dx = new double[x.Length];
        MaxPool.Backward<double>(r, argmax, dx, count, shape);
        CheckAll(x, dx, Loss, 8 * 2.2e-16 * (Math.Abs(loss) + y.Length) / Step, "dx");
    }

    /// <summary>Every entry of <paramref name="values"/>: the analytic gradient against (L(v + h) − L(v − h))/2h.</summary>
    private static void CheckAll(double[] values, double[] gradient, Func<double> loss, double roundOff, string what)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + Step;
            double plus = loss();
            values[i] = saved - Step;
            double minus = loss();
            values[i] = saved;
            double numeric = (plus - minus) / (2 * Step);
            double tolerance = 1e-6 * (Math.Abs(gradient[i]) + Math.Abs(numeric)) + roundOff;
            Assert.True(Math.Abs(gradient[i] - numeric) <= tolerance,
                $"{what}[{i}]: backward {gradient[i]:E8}, finite differences {numeric:E8}");
        }
    }
}
