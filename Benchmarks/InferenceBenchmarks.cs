using BenchmarkDotNet.Attributes;
using Dsl.Cpu;
using Dsl.Examples;

namespace Dsl.Benchmarks;

/// <summary>
/// Inference on the CPU path: class probabilities of a batch of 500 images (<see cref="INetwork.Predict"/>) and the
/// class of one image through the allocation-free <c>Classify(image, probabilities)</c>, for every example network.
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*Inference*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private const int Batch = 500;
    private CpuNetwork<float> _network = null!;
    private float[] _images = null!, _probabilities = null!;

    [Params("lr", "mlp", "lenet5", "dbn")]
    public string Network { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        _network = Network switch
        {
            "lr" => new LogisticRegression.Cpu<float>(Batch, seed: 1),
            "lenet5" => new LeNet5.Cpu<float>(Batch, seed: 1),
            "dbn" => new Dbn.Cpu<float>(Batch, seed: 1),
            _ => new Mlp.Cpu<float>(Batch, seed: 1),
        };
        var random = new Random(2);
        _images = Enumerable.Range(0, Batch * _network.Info.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        _probabilities = new float[Batch * _network.Info.Classes];
    }

    [Benchmark]
    public void PredictBatch() => _network.Predict(_images, Batch, _probabilities);

    [Benchmark]
    public int ClassifyOne() => _network.Classify(_images.AsSpan(0, _network.Info.InputSize), _probabilities);
}
