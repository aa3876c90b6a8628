using Dsl.Cpu;
using Dsl.Examples;
using Dsl.Onnx;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests.Onnx;

/// <summary>
/// Exported models run in ONNX Runtime and give the probabilities the network itself predicts, for every layer kind,
/// activation and geometry the test networks have, on CPU (float and double) and GPU (ILGPU's CPU accelerator) networks.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Absolute tolerance on each probability.</summary>
    private const float Tolerance = 1e-5f;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> Networks => new(Factories.Keys);

    private static readonly Dictionary<string, Func<int, int, CpuNetwork<float>>> Factories = new()
    {
        ["IdentityNet"] = (capacity, seed) => new IdentityNet.Cpu<float>(capacity, seed),
        ["SigmoidNet"] = (capacity, seed) => new SigmoidNet.Cpu<float>(capacity, seed),
        ["TanhNet"] = (capacity, seed) => new TanhNet.Cpu<float>(capacity, seed),
        ["ReluNet"] = (capacity, seed) => new ReluNet.Cpu<float>(capacity, seed),
        ["DeepNet"] = (capacity, seed) => new DeepNet.Cpu<float>(capacity, seed),
        ["TinyImageNet"] = (capacity, seed) => new TinyImageNet.Cpu<float>(capacity, seed),
        ["SmallLeNet"] = (capacity, seed) => new SmallLeNet.Cpu<float>(capacity, seed),
        ["StridedConvNet"] = (capacity, seed) => new StridedConvNet.Cpu<float>(capacity, seed),
        ["PoolFirstNet"] = (capacity, seed) => new PoolFirstNet.Cpu<float>(capacity, seed),
        ["SigmoidPoolNet"] = (capacity, seed) => new SigmoidPoolNet.Cpu<float>(capacity, seed),
        ["ThreeConvReluNet"] = (capacity, seed) => new ThreeConvReluNet.Cpu<float>(capacity, seed),
        ["TinyDbn"] = (capacity, seed) => new TinyDbn.Cpu<float>(capacity, seed),
        ["LogisticRegression"] = (capacity, seed) => new LogisticRegression.Cpu<float>(capacity, seed),
        ["Mlp"] = (capacity, seed) => new Mlp.Cpu<float>(capacity, seed),
        ["LeNet5"] = (capacity, seed) => new LeNet5.Cpu<float>(capacity, seed),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_exported_model_predicts_what_the_network_predicts(string name)
    {
        using CpuNetwork<float> network = Factories[name](8, 11);
        Scramble(network.Parameters, new Random(name.Length * 7919 + 5));
        const int count = 13; // more than one batch of 8, so Predict works in chunks
        float[] images = RandomImages(network.Info, count, new Random(17));

        float difference = CompareWithOnnxRuntime(network, images, count);
        output.WriteLine($"{name}: max |Δp| = {difference:E2}");
        Assert.True(difference <= Tolerance, $"{name}: ONNX Runtime's probabilities differ by up to {difference:E2}.");
    }

    [Fact]
    public void A_double_precision_network_exports_its_parameters_as_float()
    {
        using var network = new SmallLeNet.Cpu<double>(4, seed: 3);
        Scramble(network.Parameters, new Random(4));
        float[] images = RandomImages(network.Info, 6, new Random(5));

        float difference = CompareWithOnnxRuntime(network, images, 6);
        output.WriteLine($"SmallLeNet (double): max |Δp| = {difference:E2}");
        Assert.True(difference <= Tolerance, $"ONNX Runtime's probabilities differ by up to {difference:E2}.");
    }

    [Fact]
    public void A_device_network_exports_its_trained_parameters()
    {
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
        using var cpu = new StridedConvNet.Cpu<float>(4, seed: 6);
        Scramble(cpu.Parameters, new Random(7));
        using var gpu = new StridedConvNet.Gpu(device.Accelerator!, 4, seed: 8);
        gpu.CopyParametersFrom(cpu);
        var random = new Random(9);
        for (int step = 0; step < 3; step++) // trained on the device, so the parameters exist only there
        {
            float[] batch = RandomImages(gpu.Info, 4, random);
            gpu.TrainStep(batch, [.. Enumerable.Range(0, 4).Select(_ => random.Next(gpu.Info.Classes))], 4, new TrainingSettings(0.05f, 0.9f));
        }
        float[] images = RandomImages(gpu.Info, 7, new Random(10));

        float difference = CompareWithOnnxRuntime(gpu, images, 7);
        output.WriteLine($"StridedConvNet (ILGPU CPU accelerator, trained): max |Δp| = {difference:E2}");
        Assert.True(difference <= Tolerance, $"ONNX Runtime's probabilities differ by up to {difference:E2}.");
    }

    [Fact]
    public void The_model_declares_named_inputs_and_outputs_with_a_symbolic_batch()
    {
        using var lenet = new LeNet5.Cpu<float>(1, seed: 1);
        using var lenetSession = new InferenceSession(OnnxExporter.ToBytes(lenet));
        NodeMetadata image = Assert.Single(lenetSession.InputMetadata, m => m.Key == OnnxExporter.InputName).Value;
        Assert.Equal([-1, 1, 28, 28], image.Dimensions);
        Assert.Equal(OnnxExporter.BatchDimension, image.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), image.ElementType);
        NodeMetadata probabilities = Assert.Single(lenetSession.OutputMetadata, m => m.Key == OnnxExporter.OutputName).Value;
        Assert.Equal([-1, 10], probabilities.Dimensions);
        Assert.Equal("Dsl", lenetSession.ModelMetadata.ProducerName);
        Assert.Equal(lenet.Info.Summary, lenetSession.ModelMetadata.CustomMetadataMap["dsl.architecture"]);

        using var mlp = new Mlp.Cpu<float>(1, seed: 1);
        using var mlpSession = new InferenceSession(OnnxExporter.ToBytes(mlp));
        Assert.Equal([-1, 784], Assert.Single(mlpSession.InputMetadata).Value.Dimensions);
    }

    [Fact]
    public void Save_writes_the_model_and_replaces_an_existing_file_whole()
    {
        using var network = new PoolFirstNet.Cpu<float>(2, seed: 4);
        string path = _folder.File("model.onnx");
        File.WriteAllText(path, "an older file");

        network.ExportOnnx(path);

        Assert.Equal(OnnxExporter.ToBytes(network), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder.Path)); // no temporary file left beside it
    }

    [Fact]
    public void A_network_that_is_not_generated_is_refused_and_nothing_is_written()
    {
        using var network = new HandWritten();
        string path = _folder.File("model.onnx");

        Assert.Throws<NotSupportedException>(() => OnnxExporter.Save(network, path));
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void Info_describes_each_layer_for_the_exporter()
    {
        LayerInfo[] layers = [.. SmallLeNet.Info.Layers];
        Assert.Equal([LayerKind.Conv, LayerKind.MaxPool, LayerKind.Conv, LayerKind.MaxPool, LayerKind.Dense, LayerKind.Dense],
            layers.Select(l => l.Kind));
        LayerInfo conv = layers[2]; // Conv(3, 3, 4, Relu, Padding = 1) on 3×4×4
        Assert.Equal((Activation.Relu, 4, 3, 3, 1, 1), (conv.Activation, conv.Units, conv.KernelHeight, conv.KernelWidth, conv.Stride, conv.Padding));
        Assert.Equal([3, 4, 4], conv.InputDimensions);
        Assert.Equal([4, 4, 4], conv.OutputDimensions);
        LayerInfo pool = layers[3]; // MaxPool(2, Stride = 1)
        Assert.Equal((2, 2, 1), (pool.KernelHeight, pool.KernelWidth, pool.Stride));
        Assert.Equal([4, 3, 3], pool.OutputDimensions);
        LayerInfo dense = layers[4];
        Assert.Equal((Activation.Sigmoid, 5), (dense.Activation, dense.Units));
        Assert.Equal([4, 3, 3], dense.InputDimensions);
        Assert.Equal([5], dense.OutputDimensions);
    }

    /// <summary>Runs the exported model and the network on the same images; the largest absolute difference.</summary>
    private static float CompareWithOnnxRuntime(INetwork network, float[] images, int count)
    {
        NetworkInfo info = network.Info;
        var expected = new float[count * info.Classes];
        network.Predict(images, count, expected);

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxExporter.ToBytes(network), options);
        long[] shape = [count, .. info.Layers[0].InputDimensions.Select(d => (long)d)];
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results =
            session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        Assert.Equal([count, info.Classes], results[0].GetTensorTypeAndShape().Shape);
        ReadOnlySpan<float> actual = results[0].GetTensorDataAsSpan<float>();

        Assert.All(expected, p => Assert.True(float.IsFinite(p)));
        // Not a saturated network (probabilities all 0 or 1 would hide a wrong layout): some row is not one-hot.
        Assert.Contains(expected, p => p is > 1e-3f and < 0.999f);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }

    /// <summary>Every parameter random and non-zero, three times <see cref="Randomize"/>'s scale so the probabilities
    /// are far from uniform and a wrong layout shows.</summary>
    private static void Scramble<T>(IReadOnlyList<Parameter<T>> parameters, Random random)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Randomize.Parameters(parameters, random);
        foreach (Parameter<T> p in parameters)
            for (int i = 0; i < p.Values.Length; i++) p.Values[i] *= T.CreateChecked(3);
    }

    private static float[] RandomImages(NetworkInfo info, int count, Random random) =>
        [.. Enumerable.Range(0, count * info.InputSize).Select(_ => (float)random.NextDouble())];

    /// <summary>An <see cref="INetwork"/> that is not generated, so has no parameters to read.</summary>
    private sealed class HandWritten : INetwork
    {
        public NetworkInfo Info { get; } = new("HandWritten", 1, 1, 2, 2, [new LayerInfo("Dense(2, Softmax)", "2", "2", 6, 8)]);
        public int BatchCapacity => 1;
        public string DeviceName => "nowhere";
        public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int count, TrainingSettings settings) => 0;
        public void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities) { }
        public void Dispose() { }
    }
}
