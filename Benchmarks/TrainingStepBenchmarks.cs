using BenchmarkDotNet.Attributes;
using Dsl.Cpu;
using Dsl.Examples;

namespace Dsl.Benchmarks;

/// <summary>
/// One minibatch of the example networks on the CPU path at the tutorials' batch sizes (LR 600, MLP 20, LeNet5 500): the whole
/// SGD step and its parts (forward, backward, update), on fixed random images.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private CpuNetwork<float> _network = null!;
    private float[] _images = null!;
    private int[] _labels = null!;
    private TrainingSettings _settings;

    /// <summary>"lr", "mlp" or "lenet5".</summary>
    [Params("lr", "mlp", "lenet5")]
    public string Network { get; set; } = "mlp";

    private int Batch => Network switch { "lr" => 600, "lenet5" => 500, _ => 20 };

    [GlobalSetup]
    public void Setup()
    {
        _network = Network switch
        {
            "lr" => new LogisticRegression.Cpu<float>(Batch, seed: 1),
            "lenet5" => new LeNet5.Cpu<float>(Batch, seed: 1),
            _ => new Mlp.Cpu<float>(Batch, seed: 1),
        };
        var random = new Random(2);
        _images = Enumerable.Range(0, Batch * _network.Info.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        _labels = Enumerable.Range(0, Batch).Select(_ => random.Next(10)).ToArray();
        _settings = new TrainingSettings(0.01f, Momentum: 0.9f, L2: Network == "mlp" ? 1e-4f : 0f);
        _network.TrainStep(_images, _labels, Batch, _settings);
    }

    [Benchmark]
    public float TrainStep() => _network.TrainStep(_images, _labels, Batch, _settings);

    [Benchmark]
    public void Forward() => _network.Forward(_images, Batch);

    [Benchmark]
    public void Backward() => _network.Backward(_images, _labels, Batch, 0f, _settings.L2);

    [Benchmark]
    public void Update() => _network.Update(_settings.LearningRate, _settings.Momentum);
}
