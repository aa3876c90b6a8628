using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Dsl.Cpu;

namespace Dsl.Benchmarks;

/// <summary>
/// <see cref="Gemm.Multiply{T}"/> in float on the products the networks run, named (m, n, k), and 1024³ for comparison
/// with BLAS libraries. A GFLOP/s column (2·m·n·k over the mean time) sits beside the times.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class GemmBenchmarks
{
    /// <summary>One product: C (m×n) = op(A)·op(B) with inner dimension k.</summary>
    public sealed record Shape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K) : ICountsFlops
    {
        public double Flops => 2.0 * M * N * K;

        /// <summary>The name BenchmarkDotNet shows in the Case column.</summary>
        public override string ToString() => Name;
    }

    public static IEnumerable<Shape> Shapes =>
    [
        new("MLP x·W (20,500,784)", false, false, 20, 500, 784),
        new("MLP dW=xᵀ·dz (784,500,20)", true, false, 784, 500, 20),
        new("MLP dx=dz·Wᵀ (20,784,500)", false, true, 20, 784, 500),
        new("LogReg x·W (600,10,784)", false, false, 600, 10, 784),
        new("LogReg dW=xᵀ·dz (784,10,600)", true, false, 784, 10, 600),
        new("LogReg dx=dz·Wᵀ (600,784,10)", false, true, 600, 784, 10),
        new("LeNet conv1 (288000,20,25)", false, false, 500 * 24 * 24, 20, 25),
        new("LeNet conv2 (32000,50,500)", false, false, 500 * 8 * 8, 50, 500),
        new("LeNet dense x·W (500,500,800)", false, false, 500, 500, 800),
        new("LeNet dense dW=xᵀ·dz (800,500,500)", true, false, 800, 500, 500),
        new("LeNet dense dx=dz·Wᵀ (500,800,500)", false, true, 500, 800, 500),
        new("RBM v·W (10,1000,784)", false, false, 10, 1000, 784),
        new("RBM update W+=[v0;vk]ᵀ·[h0;-hk] (784,1000,20)", true, false, 784, 1000, 20),
        new("1024³ (1024,1024,1024)", false, false, 1024, 1024, 1024),
    ];

    [ParamsSource(nameof(Shapes))]
    public Shape Case { get; set; } = Shapes.First();

    private float[] a = [], b = [], c = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        a = Enumerable.Range(0, Case.M * Case.K).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        b = Enumerable.Range(0, Case.K * Case.N).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        c = new float[Case.M * Case.N];
    }

    [Benchmark]
    public void Multiply() =>
        Gemm.Multiply<float>(Case.TransposeA, Case.TransposeB, Case.M, Case.N, Case.K, a, b, c, accumulate: false);
}
