using Dsl.Checkpoints;
using Dsl.Gpu;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Dsl.Tests.Checkpoints;

/// <summary>
/// Checkpoints of GPU networks (downloaded and uploaded buffers), on ILGPU's CPU accelerator: saved on the device and
/// loaded on the CPU path, and back, and a device run resumed.
/// </summary>
public sealed class GpuCheckpointTests : IDisposable
{
    private readonly ComputeDevice _device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
    private readonly TempFolder _folder = new();

    public void Dispose()
    {
        _folder.Dispose();
        _device.Dispose();
    }

    private static float[] Download(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        var values = new float[buffer.Length];
        ArrayView<float> view = buffer.View;
        view.CopyToCPU(values);
        return values;
    }

    private TinyImageNet.Gpu TrainedOnDevice()
    {
        var gpu = new TinyImageNet.Gpu(_device.Accelerator!, 4, seed: 2);
        var random = new Random(3);
        for (int step = 0; step < 2; step++)
        {
            float[] images = Enumerable.Range(0, 4 * 64).Select(_ => (float)random.NextDouble()).ToArray();
            int[] labels = Enumerable.Range(0, 4).Select(_ => random.Next(4)).ToArray();
            gpu.TrainStep(images, labels, 4, new TrainingSettings(0.1f, Momentum: 0.9f));
        }
        return gpu;
    }

    [Fact]
    public void A_device_checkpoint_loads_on_the_cpu_exactly()
    {
        string path = _folder.File("gpu.ckpt");
        using TinyImageNet.Gpu gpu = TrainedOnDevice();
        Checkpoint.Save(gpu, path);

        using var cpu = new TinyImageNet.Cpu<float>(4, seed: 9);
        Checkpoint.Load(path, cpu);

        foreach (var (g, c) in gpu.Parameters.Zip(cpu.Parameters))
        {
            Assert.Equal(Download(g.Values), c.Values);
            Assert.Equal(Download(g.Velocity), c.Velocity);
            Assert.Contains(c.Velocity, v => v != 0);
        }
    }

    [Fact]
    public void A_cpu_checkpoint_loads_on_the_device_and_predicts_alike()
    {
        string path = _folder.File("cpu.ckpt");
        using var cpu = new TinyImageNet.Cpu<float>(4, seed: 9);
        Randomize.Parameters(cpu.Parameters, new Random(4));
        Checkpoint.Save(cpu, path);

        using var gpu = new TinyImageNet.Gpu(_device.Accelerator!, 4, seed: 2);
        Checkpoint.Load(path, gpu);

        foreach (var (c, g) in cpu.Parameters.Zip(gpu.Parameters)) Assert.Equal(c.Values, Download(g.Values));
        float[] images = Enumerable.Range(0, 6 * 64).Select(i => (i * 7 % 13) / 13f).ToArray();
        float[] expected = new float[6 * 4], actual = new float[6 * 4];
        cpu.Predict(images, 6, expected);
        gpu.Predict(images, 6, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.Equal(cpu.Classify(images, 6), gpu.Classify(images, 6));
    }

    [Fact]
    public void A_device_run_resumes_from_its_checkpoint()
    {
        var (train, validation, test) = SyntheticData.Sets(train: 40, validation: 20, test: 20);
        var options = new TrainerOptions { Epochs = 3, BatchSize = 4, LearningRate = 0.05f, Momentum = 0.9f, Seed = 1 };
        string full = _folder.File("full.ckpt"), split = _folder.File("split.ckpt");
        using (var gpu = new TinyImageNet.Gpu(_device.Accelerator!, 4, seed: 2))
            Trainer.Train(gpu, train, validation, test, options, checkpointPath: full);
        using (var gpu = new TinyImageNet.Gpu(_device.Accelerator!, 4, seed: 2))
            Trainer.Train(gpu, train, validation, test, options with { Epochs = 1 }, checkpointPath: split);

        using var resumed = new TinyImageNet.Gpu(_device.Accelerator!, 4, seed: 5);
        TrainingResult result = Trainer.Resume(resumed, train, validation, test, split, epochs: 3);

        Assert.Equal(3, result.Epochs);
        // The simulator runs each kernel's threads independently with fixed loops, so even here the weights agree.
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(split));
    }
}
