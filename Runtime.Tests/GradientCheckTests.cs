using Xunit;
using Dsl.Cpu;
using Dsl.Examples;
using Dsl.Tests.Networks;

namespace Dsl.Tests;

/// <summary>
/// Every hand-derived backward pass against central finite differences of the cost, in double precision, with the
/// L1 and L2 terms on. Parameters are randomised first (the tutorials start softmax weights at zero; a check at zero
/// would hide errors), and inputs are fresh random values. Each entry is compared at step 1e-6 after a second
/// difference at 1e-5 agrees with it, which tells kinks (ReLU, max-pooling) from errors.
/// </summary>
public sealed class GradientCheckTests
{
    private const double CoarseStep = 1e-5, FineStep = 1e-6;

    public static TheoryData<string> Networks => new()
    {
        nameof(IdentityNet), nameof(SigmoidNet), nameof(TanhNet), nameof(ReluNet), nameof(DeepNet),
        nameof(LogisticRegression), nameof(Mlp),
        nameof(SmallLeNet), nameof(StridedConvNet), nameof(PoolFirstNet), nameof(SigmoidPoolNet), nameof(ThreeConvReluNet), nameof(LeNet5),
        nameof(TinyDbn),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Backward_matches_finite_differences(string name)
    {
        const int batch = 3;
        CpuNetwork<double> network = Create(name, batch);
        var random = new Random(name.Length * 7919);
        Randomize.Parameters(network.Parameters, random);
        double[] images = Enumerable.Range(0, batch * network.Info.InputSize).Select(_ => random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(network.Info.Classes)).ToArray();
        const double l1 = 1e-3, l2 = 2e-3;

        double cost = network.Cost(images, labels, batch, l1, l2);
        network.Backward(images, labels, batch, l1, l2);
        // Central differences lose |cost|·ε/h to round-off: the floor below which a difference means nothing.
        double roundOff = 8 * 2.2e-16 * Math.Abs(cost) / FineStep;

        int checkedCount = 0, kinks = 0;
        foreach (Parameter<double> p in network.Parameters)
        {
            // Large tensors: a random sample of entries; small ones: all of them.
            IEnumerable<int> indices = p.Values.Length <= 200
                ? Enumerable.Range(0, p.Values.Length)
                : Enumerable.Range(0, 60).Select(_ => random.Next(p.Values.Length));
            foreach (int i in indices)
            {
                double analytic = p.Gradient[i];
                double coarse = NumericGradient(network, p.Values, i, images, labels, batch, l1, l2, CoarseStep);
                double fine = NumericGradient(network, p.Values, i, images, labels, batch, l1, l2, FineStep);
                // ReLU and max-pooling are not differentiable everywhere: where the two steps disagree, a kink
                // (a unit switching off, another pool winner) lies within reach and the difference quotient is not
                // the derivative. Such points are counted, not compared.
                if (Math.Abs(coarse - fine) > 1e-4 * (Math.Abs(coarse) + Math.Abs(fine)) + 10 * roundOff)
                {
                    kinks++;
                    continue;
                }
                double tolerance = 1e-6 * (Math.Abs(analytic) + Math.Abs(fine)) + roundOff;
                Assert.True(Math.Abs(analytic - fine) <= tolerance,
                    $"{name}.{p.Name}[{i}]: backward {analytic:E8}, finite differences {fine:E8}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 10 && kinks <= checkedCount / 10, $"{checkedCount} entries checked, {kinks} skipped at kinks");
    }

    private static double NumericGradient(CpuNetwork<double> network, double[] values, int i, double[] images, int[] labels,
        int batch, double l1, double l2, double h)
    {
        double saved = values[i];
        values[i] = saved + h;
        double plus = network.Cost(images, labels, batch, l1, l2);
        values[i] = saved - h;
        double minus = network.Cost(images, labels, batch, l1, l2);
        values[i] = saved;
        return (plus - minus) / (2 * h);
    }

    internal static CpuNetwork<double> Create(string name, int batch) => name switch
    {
        nameof(IdentityNet) => new IdentityNet.Cpu<double>(batch),
        nameof(SigmoidNet) => new SigmoidNet.Cpu<double>(batch),
        nameof(TanhNet) => new TanhNet.Cpu<double>(batch),
        nameof(ReluNet) => new ReluNet.Cpu<double>(batch),
        nameof(DeepNet) => new DeepNet.Cpu<double>(batch),
        nameof(LogisticRegression) => new LogisticRegression.Cpu<double>(batch),
        nameof(Mlp) => new Mlp.Cpu<double>(batch),
        nameof(SmallLeNet) => new SmallLeNet.Cpu<double>(batch),
        nameof(StridedConvNet) => new StridedConvNet.Cpu<double>(batch),
        nameof(PoolFirstNet) => new PoolFirstNet.Cpu<double>(batch),
        nameof(SigmoidPoolNet) => new SigmoidPoolNet.Cpu<double>(batch),
        nameof(ThreeConvReluNet) => new ThreeConvReluNet.Cpu<double>(batch),
        nameof(LeNet5) => new LeNet5.Cpu<double>(batch),
        nameof(TinyDbn) => new TinyDbn.Cpu<double>(batch),
        _ => throw new ArgumentException(name),
    };
}
