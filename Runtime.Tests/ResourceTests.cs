using System.Diagnostics;
using Dsl.Gpu;
using Dsl.Tests.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests;

/// <summary>Measures the managed heap, so runs alone: other tests allocating in parallel would blur the figures.</summary>
[CollectionDefinition(nameof(ResourceTests), DisableParallelization = true)]
public sealed class ResourceCollection;

/// <summary>Many short trainings in one process (create → train a few steps → dispose) leak neither managed memory
/// nor ILGPU contexts, accelerators or buffers.</summary>
[Collection(nameof(ResourceTests))]
public sealed class ResourceTests(ITestOutputHelper output)
{
    private const int Batch = 10;

    private static readonly float[] Images = Enumerable.Range(0, Batch * TinyImageNet.Info.InputSize).Select(i => i % 17 / 17f).ToArray();
    private static readonly int[] Labels = Enumerable.Range(0, Batch).Select(i => i % TinyImageNet.Info.Classes).ToArray();

    /// <summary>One training: a few SGD steps and a prediction, then everything disposed and checked released.</summary>
    private static void TrainOnce(ComputeDevice device, int seed)
    {
        INetwork network = TinyImageNet.Create(device, Batch, seed);
        var probabilities = new float[Batch * TinyImageNet.Info.Classes];
        for (int step = 0; step < 3; step++)
            Assert.True(float.IsFinite(network.TrainStep(Images, Labels, Batch, new TrainingSettings(0.05f, Momentum: 0.9f))));
        network.Predict(Images, Batch, probabilities);
        IReadOnlyList<GpuParameter> buffers = network is GpuNetwork gpu ? gpu.Parameters : [];
        network.Dispose();
        Assert.All(buffers, p => Assert.True(p.Values.IsDisposed && p.Gradient.IsDisposed && p.Velocity.IsDisposed, $"{p.Name} not released"));
    }

    /// <summary>Runs <paramref name="iterations"/> trainings and returns the heap growth (bytes) between the end of the
    /// warm-up and the end.</summary>
    private long Growth(string what, int warmUp, int iterations, Action<int> iteration)
    {
        for (int i = 0; i < warmUp; i++) iteration(i);
        long before = Heap();
        var clock = Stopwatch.StartNew();
        for (int i = warmUp; i < warmUp + iterations; i++) iteration(i);
        long after = Heap();
        output.WriteLine($"{what}: {warmUp} warm-up + {iterations} trainings in {clock.Elapsed.TotalSeconds:F1} s; managed heap " +
                         $"{before / 1024.0:N0} KiB after the warm-up, {after / 1024.0:N0} KiB at the end ({(after - before) / 1024.0:+#,0;-#,0;0} KiB)");
        return after - before;
    }

    private static long Heap()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [Fact]
    public void Many_trainings_on_the_cpu_path_do_not_grow_memory()
    {
        using ComputeDevice device = ComputeDevice.Cpu();
        long growth = Growth("CPU path", warmUp: 20, iterations: 500, i => TrainOnce(device, i));
        Assert.True(growth < 512 * 1024, $"the heap grew by {growth:N0} bytes over 500 trainings");
    }

    [Fact]
    public void Many_trainings_on_one_ilgpu_cpu_accelerator_release_their_buffers_and_do_not_grow_memory()
    {
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
        // ILGPU keeps a weak reference per buffer and kernel an accelerator ever made and prunes the dead ones every
        // 4,096 registrations (about 100 of these trainings): up to ~150 KiB that come and go. Measured: under 1 KiB
        // a training beyond that; a network that kept its buffers would hold over 13 KiB of parameters alone.
        long growth = Growth("ILGPU CPU accelerator, one device", warmUp: 5, iterations: 60, i => TrainOnce(device, i));
        Assert.True(growth < 1024 * 1024, $"the heap grew by {growth:N0} bytes over 60 trainings");
    }

    [Fact]
    public void Opening_and_disposing_ilgpu_devices_for_each_training_releases_them_and_does_not_grow_memory()
    {
        long growth = Growth("ILGPU CPU accelerator, a device per training", warmUp: 3, iterations: 20, i =>
        {
            ComputeDevice device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
            TrainOnce(device, i);
            device.Dispose();
            Assert.True(device.IsReleased, "accelerator or context not released");
        });
        Assert.True(growth < 4 * 1024 * 1024, $"the heap grew by {growth:N0} bytes over 20 devices");
    }
}
