using Xunit;
using Dsl.Cpu;
using Dsl.Examples;
using Dsl.Gpu;
using Dsl.Tests.Networks;
using ILGPU.Runtime;

namespace Dsl.Tests;

/// <summary>
/// Every generated ILGPU kernel, run on ILGPU's CPU accelerator, against the SIMD CPU path: the same random
/// parameters and inputs, then forward, backward (L1/L2 on) and momentum updates for several steps, comparing the
/// losses, gradients, updated parameters and predicted probabilities.
/// </summary>
public sealed class IlgpuKernelTests : IDisposable
{
    private readonly ComputeDevice _device = ComputeDevice.Open(DeviceKind.IlgpuCpu);

    public void Dispose() => _device.Dispose();

    public static TheoryData<string> Networks => new()
    {
        nameof(IdentityNet), nameof(SigmoidNet), nameof(TanhNet), nameof(ReluNet), nameof(DeepNet), nameof(LogisticRegression), nameof(Mlp),
        nameof(SmallLeNet), nameof(StridedConvNet), nameof(PoolFirstNet), nameof(SigmoidPoolNet), nameof(ThreeConvReluNet), nameof(LeNet5),
        nameof(TinyDbn),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Kernels_match_the_cpu_path(string name)
    {
        int batch = name is nameof(Mlp) or nameof(LeNet5) ? 2 : 5; // the simulator runs one OS thread per GPU thread: keep it small
        var (cpu, gpu) = Create(name, batch);
        using var _ = gpu;
        var random = new Random(17);
        Randomize.Parameters(cpu.Parameters, random);
        gpu.CopyParametersFrom(cpu);
        int inputSize = cpu.Info.InputSize, classes = cpu.Info.Classes;
        var settings = new TrainingSettings(LearningRate: 0.1f, Momentum: 0.9f, L1: 1e-3f, L2: 2e-3f);

        for (int step = 0; step < 3; step++)
        {
            float[] images = Enumerable.Range(0, batch * inputSize).Select(_ => (float)random.NextDouble()).ToArray();
            int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
            float cpuLoss = cpu.TrainStep(images, labels, batch, settings);
            float gpuLoss = gpu.TrainStep(images, labels, batch, settings);
            Assert.True(Close(cpuLoss, gpuLoss), $"step {step}: loss {cpuLoss} on the CPU, {gpuLoss} from the kernels");

            foreach (var (c, g) in cpu.Parameters.Zip(gpu.Parameters))
            {
                AssertClose(c.Gradient, g.Gradient, $"step {step}: d{c.Name}");
                AssertClose(c.Values, g.Values, $"step {step}: {c.Name} after the update");
            }
        }

        float[] test = Enumerable.Range(0, 2 * batch * inputSize).Select(_ => (float)random.NextDouble()).ToArray();
        float[] cpuProbabilities = new float[2 * batch * classes], gpuProbabilities = new float[2 * batch * classes];
        cpu.Predict(test, 2 * batch, cpuProbabilities); // two chunks of the batch capacity
        gpu.Predict(test, 2 * batch, gpuProbabilities);
        AssertClose(cpuProbabilities, gpuProbabilities, "probabilities");
    }

    private (CpuNetwork<float> Cpu, GpuNetwork Gpu) Create(string name, int batch)
    {
        Accelerator accelerator = _device.Accelerator!;
        return name switch
        {
            nameof(IdentityNet) => (new IdentityNet.Cpu<float>(batch), new IdentityNet.Gpu(accelerator, batch)),
            nameof(SigmoidNet) => (new SigmoidNet.Cpu<float>(batch), new SigmoidNet.Gpu(accelerator, batch)),
            nameof(TanhNet) => (new TanhNet.Cpu<float>(batch), new TanhNet.Gpu(accelerator, batch)),
            nameof(ReluNet) => (new ReluNet.Cpu<float>(batch), new ReluNet.Gpu(accelerator, batch)),
            nameof(DeepNet) => (new DeepNet.Cpu<float>(batch), new DeepNet.Gpu(accelerator, batch)),
            nameof(LogisticRegression) => (new LogisticRegression.Cpu<float>(batch), new LogisticRegression.Gpu(accelerator, batch)),
            nameof(Mlp) => (new Mlp.Cpu<float>(batch), new Mlp.Gpu(accelerator, batch)),
            nameof(SmallLeNet) => (new SmallLeNet.Cpu<float>(batch), new SmallLeNet.Gpu(accelerator, batch)),
            nameof(StridedConvNet) => (new StridedConvNet.Cpu<float>(batch), new StridedConvNet.Gpu(accelerator, batch)),
            nameof(PoolFirstNet) => (new PoolFirstNet.Cpu<float>(batch), new PoolFirstNet.Gpu(accelerator, batch)),
            nameof(SigmoidPoolNet) => (new SigmoidPoolNet.Cpu<float>(batch), new SigmoidPoolNet.Gpu(accelerator, batch)),
            nameof(ThreeConvReluNet) => (new ThreeConvReluNet.Cpu<float>(batch), new ThreeConvReluNet.Gpu(accelerator, batch)),
            nameof(LeNet5) => (new LeNet5.Cpu<float>(batch), new LeNet5.Gpu(accelerator, batch)),
            nameof(TinyDbn) => (new TinyDbn.Cpu<float>(batch), new TinyDbn.Gpu(accelerator, batch)),
            _ => throw new ArgumentException(name),
        };
    }

    [Fact]
    public void Rbm_pretraining_kernels_match_the_cpu_path_with_the_same_random_stream()
    {
        // Same seed: same weights and the same Philox streams, so the same samples unless a mean computed in another
        // order lands within rounding of its uniform (vanishingly rare at these sizes); CD-1 on layer 1, PCD-2 on layer 2.
        const int batch = 6;
        var cpu = new TinyDbn.Cpu<float>(batch, seed: 8);
        using var gpu = new TinyDbn.Gpu(_device.Accelerator!, batch, seed: 8);
        var random = new Random(9);
        for (int rbm = 0; rbm < 2; rbm++)
            for (int step = 0; step < 3; step++)
            {
                float[] images = Enumerable.Range(0, batch * TinyDbn.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
                int units = cpu.RbmLayers[rbm].Visible;
                float[] cpuVisible = new float[batch * units], gpuVisible = new float[batch * units];
                cpu.RbmVisible(rbm, images, batch, cpuVisible);
                gpu.RbmVisible(rbm, images, batch, gpuVisible);
                AssertClose(cpuVisible, gpuVisible, $"RBM {rbm}, step {step}: visible data");
                RbmSettings settings = cpu.RbmLayers[rbm].Settings;
                float cpuCost = cpu.PretrainStep(rbm, cpuVisible, batch, settings), gpuCost = gpu.PretrainStep(rbm, cpuVisible, batch, settings);
                Assert.True(Close(cpuCost, gpuCost), $"RBM {rbm}, step {step}: cost {cpuCost} on the CPU, {gpuCost} from the kernels");
                foreach (var (c, g) in cpu.Parameters.Zip(gpu.Parameters))
                    AssertClose(c.Values, g.Values, $"RBM {rbm}, step {step}: {c.Name}");
            }

        float[] cpuWeights = new float[64 * 12], gpuWeights = new float[64 * 12];
        cpu.CopyRbmWeights(0, cpuWeights);
        gpu.CopyRbmWeights(0, gpuWeights);
        AssertClose(cpuWeights, gpuWeights, "RBM 0's weights");
        float[] cpuState = Enumerable.Range(0, 3 * 64).Select(i => (float)(i % 2)).ToArray(), gpuState = (float[])cpuState.Clone();
        float[] cpuMeans = new float[cpuState.Length], gpuMeans = new float[cpuState.Length];
        cpu.Gibbs(0, cpuState, cpuMeans, 3, steps: 4, sequence: 1);
        gpu.Gibbs(0, gpuState, gpuMeans, 3, steps: 4, sequence: 1);
        Assert.Equal(cpuState, gpuState);
        AssertClose(cpuMeans, gpuMeans, "Gibbs means");
    }

    [Fact]
    public void Same_seed_gives_the_same_initial_weights_on_both_paths()
    {
        using var gpu = new Mlp.Gpu(_device.Accelerator!, 1, seed: 42);
        var cpu = new Mlp.Cpu<float>(1, seed: 42);
        foreach (var (c, g) in cpu.Parameters.Zip(gpu.Parameters))
            Assert.Equal(c.Values, g.Values.GetAsArray1D());
        Assert.Contains(cpu.Parameters[0].Values, v => v != 0); // Glorot-initialised, not zeros
    }

    private static void AssertClose(float[] expected, MemoryBuffer1D<float, ILGPU.Stride1D.Dense> actual, string what) =>
        AssertClose(expected, actual.GetAsArray1D(), what);

    private static void AssertClose(float[] expected, float[] actual, string what) => KernelChecks.AssertClose(expected, actual, what);

    private static bool Close(float a, float b) => KernelChecks.Close(a, b);
}
