using BenchmarkDotNet.Attributes;
using Dsl.Examples;

namespace Dsl.Benchmarks;

/// <summary>
/// One contrastive-divergence update on the CPU path as the tutorials take them: the DBN's first RBM (784 × 1000,
/// CD-1, batch 10) and its third (1000 × 1000 on the two below's mean activations, computed beforehand as the
/// Pretrainer does), and rbm.py's RBM (784 × 500,
/// PCD-15, batch 20).
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*Rbm*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class RbmBenchmarks
{
    private IPretrainable _network = null!;
    private float[] _visible = null!;
    private RbmSettings _settings;
    private int _rbm, _batch;

    [Params("dbn layer 1, CD-1, batch 10", "dbn layer 3, CD-1, batch 10", "rbm, PCD-15, batch 20")]
    public string Case { get; set; } = "dbn layer 1, CD-1, batch 10";

    [GlobalSetup]
    public void Setup()
    {
        bool dbn = Case.StartsWith("dbn", StringComparison.Ordinal);
        _batch = dbn ? 10 : 20;
        _rbm = Case.StartsWith("dbn layer 3", StringComparison.Ordinal) ? 2 : 0;
        _network = dbn ? new Dbn.Cpu<float>(_batch, seed: 1) : new RbmMnist.Cpu<float>(_batch, seed: 1);
        _settings = _network.RbmLayers[_rbm].Settings;
        var random = new Random(2);
        float[] images = Enumerable.Range(0, _batch * 784).Select(_ => random.NextSingle()).ToArray();
        _visible = new float[_batch * _network.RbmLayers[_rbm].Visible];
        _network.RbmVisible(_rbm, images, _batch, _visible); // computed once per RBM by the Pretrainer, so not timed
        Update();
    }

    [Benchmark]
    public float Update() => _network.PretrainStep(_rbm, _visible, _batch, _settings);
}
