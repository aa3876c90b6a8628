using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Dsl.Layers;

namespace Dsl.Benchmarks;

/// <summary>
/// The convolution and max-pooling layers of LeNet-5 on the CPU path, float, at the tutorial's batch of 500: forward
/// and backward of conv1 (1×28×28 → 20×24×24, 5×5), conv2 (20×12×12 → 50×8×8, 5×5) and the 2×2 pools after them.
/// conv1 is the first layer, so its backward computes no input gradient. The "+ pool" cases are the fused calls the
/// generated LeNet5 makes (<see cref="Conv.ForwardPooled{T}"/>, <see cref="Conv.BackwardPooled{T}"/>: image by image,
/// tanh after the maxima). A GFLOP/s column sits beside the times:
/// 2·n·F·Ho·Wo·C·kh·kw for a forward pass, twice that for a backward pass with the input gradient (once without).
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*ConvBenchmarks*' --job short</c>
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ConvBenchmarks
{
    private const int Batch = 500;

    /// <summary>One layer and pass.</summary>
    /// <param name="InputActivation">For a pool's backward pass: the previous layer's activation, whose derivative
    /// the pass fuses (Identity: the plain pass).</param>
    public sealed record Layer(string Name, ConvShape? Conv, PoolShape? Pool, bool Backward, bool InputGradient,
        Activation InputActivation = Activation.Identity) : ICountsFlops
    {
        public double Flops => Conv is { } s
            ? 2.0 * Batch * s.Filters * s.OutputPixels * s.PatchSize * (Backward && InputGradient ? 2 : 1)
            : 0;

        public override string ToString() => Name;
    }

    private static readonly ConvShape Conv1 = new(1, 28, 28, 20, 5, 5, 1, 0);
    private static readonly ConvShape Conv2 = new(20, 12, 12, 50, 5, 5, 1, 0);

    public static IEnumerable<Layer> Layers =>
    [
        new("conv1 forward", Conv1, null, false, false),
        new("conv1 backward (dW, db)", Conv1, null, true, false),
        new("pool1 forward (20×24×24)", null, new PoolShape(20, 24, 24, 2, 2), false, false),
        new("pool1 backward", null, new PoolShape(20, 24, 24, 2, 2), true, false),
        new("pool1 backward, tanh' fused", null, new PoolShape(20, 24, 24, 2, 2), true, false, Activation.Tanh),
        new("conv2 forward", Conv2, null, false, false),
        new("conv2 backward (dW, db, dx)", Conv2, null, true, true),
        new("pool2 forward (50×8×8)", null, new PoolShape(50, 8, 8, 2, 2), false, false),
        new("pool2 backward", null, new PoolShape(50, 8, 8, 2, 2), true, false),
        new("conv1 + pool1 forward, tanh", Conv1, new PoolShape(20, 24, 24, 2, 2), false, false),
        new("conv1 + pool1 backward (dW, db)", Conv1, new PoolShape(20, 24, 24, 2, 2), true, false),
        new("conv2 + pool2 forward, tanh", Conv2, new PoolShape(50, 8, 8, 2, 2), false, false),
        new("conv2 + pool2 backward (dW, db, dx)", Conv2, new PoolShape(50, 8, 8, 2, 2), true, true),
    ];

    [ParamsSource(nameof(Layers))]
    public Layer Case { get; set; } = Layers.First();

    private float[] _x = [], _weights = [], _bias = [], _y = [], _dy = [], _dw = [], _db = [], _dx = [], _zeros = [];
    private int[] _argmax = [];
    private ConvWorkspace<float>? _workspace;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Random(int length) => Enumerable.Range(0, length).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        if (Case.Conv is { } conv)
        {
            _workspace = Case.Pool is { } after ? new ConvWorkspace<float>(conv, after, Batch) : new ConvWorkspace<float>(conv, Batch);
            _x = Random(Batch * conv.InputSize);
            _weights = Random(conv.WeightCount);
            _bias = Random(conv.Filters);
            _y = new float[Batch * (Case.Pool?.OutputSize ?? conv.OutputSize)];
            _dy = Random(_y.Length);
            _dw = new float[conv.WeightCount];
            _db = new float[conv.Filters];
            _dx = Case.InputGradient ? new float[_x.Length] : [];
            if (Case.Pool is { } pool)
            {
                _argmax = new int[_y.Length];
                Conv.ForwardPooled<float>(_x, _weights, _bias, _y, _argmax, Batch, conv, pool, Activation.Tanh, _workspace);
                // The backward pass multiplies dy by tanh'(pooled) in place: against pooled outputs of zero that is 1,
                // so dy keeps its values from run to run at the same cost.
                _zeros = new float[_y.Length];
            }
        }
        else
        {
            PoolShape pool = Case.Pool!.Value;
            _x = Random(Batch * pool.InputSize).Select(MathF.Tanh).ToArray();
            _y = new float[Batch * pool.OutputSize];
            _argmax = new int[_y.Length];
            _dy = Random(_y.Length);
            _dx = new float[_x.Length];
            MaxPool.Forward<float>(_x, _y, _argmax, Batch, pool);
        }
    }

    [Benchmark]
    public void Run()
    {
        if (Case.Conv is { } conv)
        {
            if (Case.Pool is { } after)
            {
                if (Case.Backward)
                    Conv.BackwardPooled<float>(_x, _weights, _dy, _zeros, Activation.Tanh, _argmax, _dw, _db, _dx, Batch, conv, after, _workspace!);
                else Conv.ForwardPooled<float>(_x, _weights, _bias, _y, _argmax, Batch, conv, after, Activation.Tanh, _workspace!);
                return;
            }
            if (Case.Backward) Conv.Backward<float>(_x, _weights, _dy, _dw, _db, _dx, Batch, conv, _workspace!);
            else Conv.Forward<float>(_x, _weights, _bias, _y, Batch, conv, Activation.Relu, _workspace!);
        }
        else
        {
            PoolShape pool = Case.Pool!.Value;
            if (Case.Backward && Case.InputActivation != Activation.Identity)
                MaxPool.Backward<float>(_dy, _argmax, _x, _dx, Batch, pool, Case.InputActivation);
            else if (Case.Backward) MaxPool.Backward<float>(_dy, _argmax, _dx, Batch, pool);
            else MaxPool.Forward<float>(_x, _y, _argmax, Batch, pool);
        }
    }
}
