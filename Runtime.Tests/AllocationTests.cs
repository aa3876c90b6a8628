using Dsl.Tests.Networks;
using Xunit;
using static Dsl.Activation;

namespace Dsl.Tests;

/// <summary>The tutorial's LeNet5, declared again here so that the CPU path's every parallel loop runs in a test.</summary>
[Input(1, 28, 28)] [Conv(5, 5, 20, Tanh)] [MaxPool(2)] [Conv(5, 5, 50, Tanh)] [MaxPool(2)] [Dense(500, Tanh)] [Dense(10, Softmax)]
public partial class LeNet5Copy { }

/// <summary>The tutorial's multilayer perceptron.</summary>
[Input(784)] [Dense(500, Tanh)] [Dense(10, Softmax)]
public partial class MlpCopy { }

[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>
/// A training step in steady state allocates nothing on any thread: the parallel loops, the GEMM packing and the
/// convolution scratch are all planned ahead. Runs alone, so that other tests' allocations do not count.
/// </summary>
/// <remarks>The count covers the whole process, and the JIT allocates on its own thread while it recompiles hot
/// methods in the first few hundred steps; so steps run in windows of five until one window allocates nothing. A
/// step that allocates anything at all never gets there.</remarks>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    [Theory]
    [InlineData("lenet5", 50)]
    [InlineData("mlp", 20)]
    [InlineData("three-conv", 64)]
    public void A_training_step_allocates_nothing(string network, int batch)
    {
        using INetwork net = network switch
        {
            "lenet5" => new LeNet5Copy.Cpu<float>(batch, 1),
            "mlp" => new MlpCopy.Cpu<float>(batch, 1),
            _ => new ThreeConvReluNet.Cpu<float>(batch, 1),
        };
        var random = new Random(2);
        float[] images = new float[batch * net.Info.InputSize];
        for (int i = 0; i < images.Length; i++) images[i] = random.NextSingle();
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(net.Info.Classes)).ToArray();
        var settings = new TrainingSettings(0.01f, 0.9f, 1e-5f, 1e-4f);
        long allocated = long.MaxValue;
        for (int window = 0; window < 100 && allocated != 0; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 5; i++) net.TrainStep(images, labels, batch, settings);
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        Assert.Equal(0, allocated);
    }
}
