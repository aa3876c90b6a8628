using System.Numerics;
using Dsl.Layers;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary>
/// Bit-for-bit reproducibility of the CPU convolution and pooling (the same results on every run, with parallel or
/// serial chunks, i.e. whatever the core count), and no allocation in steady state.
/// </summary>
[Collection(nameof(AllocationSensitive))]
public sealed class ConvDeterminismTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 28, 28, 20, 5, 5, 1, 0, 64 },  // LeNet-5 conv1
        { 20, 12, 12, 50, 5, 5, 1, 0, 40 }, // LeNet-5 conv2
        { 3, 13, 11, 16, 3, 2, 2, 1, 600 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Runs_are_bit_identical_whatever_the_scheduling(int c, int h, int w, int f, int kh, int kw, int s, int p, int count)
    {
        var shape = new ConvShape(c, h, w, f, kh, kw, s, p);
        Assert.True(Conv.ChunkCount(shape, count) > 1, "the case should be cut into several chunks");
        Run<float>(shape, count);
        Run<double>(shape, count);
    }

    private static void Run<T>(ConvShape shape, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(3);
        T[] x = TestData.To<T>(TestData.Uniform(random, count * shape.InputSize));
        T[] w = TestData.To<T>(TestData.Uniform(random, shape.WeightCount));
        T[] b = TestData.To<T>(TestData.Uniform(random, shape.Filters));
        T[] dz = TestData.To<T>(TestData.Uniform(random, count * shape.OutputSize));

        (T[] Y, T[] Dw, T[] Db, T[] Dx) Once(bool serial)
        {
            var workspace = new ConvWorkspace<T>(shape, count) { Serial = serial };
            var y = new T[count * shape.OutputSize];
            var dw = new T[shape.WeightCount];
            var db = new T[shape.Filters];
            var dx = new T[count * shape.InputSize];
            Conv.Forward<T>(x, w, b, y, count, shape, Activation.Tanh, workspace);
            Conv.Backward<T>(x, w, dz, dw, db, dx, count, shape, workspace);
            return (y, dw, db, dx);
        }

        var first = Once(serial: false);
        foreach (bool serial in new[] { false, true, false })
        {
            var again = Once(serial);
            Assert.True(first.Y.AsSpan().SequenceEqual(again.Y), $"{shape}: y differs (serial: {serial})");
            Assert.True(first.Dw.AsSpan().SequenceEqual(again.Dw), $"{shape}: dW differs (serial: {serial})");
            Assert.True(first.Db.AsSpan().SequenceEqual(again.Db), $"{shape}: db differs (serial: {serial})");
            Assert.True(first.Dx.AsSpan().SequenceEqual(again.Dx), $"{shape}: dx differs (serial: {serial})");
        }
    }

    /// <summary>(C, H, W, F, kh, kw, count): stride 1 and no padding, where float products pack the column matrix
    /// straight from each image (forward only with more filters than the GEMM reads B in place for).</summary>
    public static TheoryData<int, int, int, int, int, int, int> PackedShapes => new()
    {
        { 1, 28, 28, 20, 5, 5, 21 },  // LeNet-5 conv1: output rows of 24, three blocks of 8
        { 20, 12, 12, 50, 5, 5, 7 },  // LeNet-5 conv2: output rows of 8
        { 3, 13, 11, 30, 2, 3, 80 },  // output rows of 9: blocks of 8 pixels cross rows
        { 5, 9, 13, 33, 3, 3, 40 },   // 7×11 output, a partial last panel of columns
        { 2, 6, 6, 40, 5, 5, 600 },   // 2×2 output: no whole block of 8 pixels
    };

    [Theory]
    [MemberData(nameof(PackedShapes))]
    public void Packing_from_the_image_gives_the_bits_of_lowering_first(int c, int h, int w, int f, int kh, int kw, int count)
    {
        var shape = new ConvShape(c, h, w, f, kh, kw, 1, 0);
        Assert.True(Conv.ChunkCount(shape, count) > 1, "with one chunk the products run in parallel, from the lowered matrix");
        var pool = new PoolShape(f, shape.OutputHeight, shape.OutputWidth, Math.Min(2, shape.OutputHeight), Math.Min(2, shape.OutputHeight));
        var random = new Random(Randomize.Seed(shape, count));
        float[] x = TestData.To<float>(TestData.Uniform(random, count * shape.InputSize));
        float[] weights = TestData.To<float>(TestData.Uniform(random, shape.WeightCount));
        float[] bias = TestData.To<float>(TestData.Uniform(random, shape.Filters));
        float[] dz = TestData.To<float>(TestData.Uniform(random, count * shape.OutputSize));
        float[] dy = TestData.To<float>(TestData.Uniform(random, count * pool.OutputSize));

        (float[] Y, float[] Dw, float[] Db, float[] Dx, float[] Pooled, float[] PooledDw, float[] PooledDx) Once(bool lower)
        {
            var workspace = new ConvWorkspace<float>(shape, pool, count) { LowerColumns = lower };
            var y = new float[count * shape.OutputSize];
            float[] dw = new float[shape.WeightCount], db = new float[shape.Filters], dx = new float[x.Length];
            Conv.Forward<float>(x, weights, bias, y, count, shape, Activation.Tanh, workspace);
            Conv.Backward<float>(x, weights, dz, dw, db, dx, count, shape, workspace);
            var pooled = new float[count * pool.OutputSize];
            var argmax = new int[pooled.Length];
            float[] pooledDw = new float[shape.WeightCount], pooledDx = new float[x.Length];
            Conv.ForwardPooled<float>(x, weights, bias, pooled, argmax, count, shape, pool, Activation.Relu, workspace);
            Conv.BackwardPooled<float>(x, weights, (float[])dy.Clone(), pooled, Activation.Relu, argmax, pooledDw,
                new float[shape.Filters], pooledDx, count, shape, pool, workspace);
            return (y, dw, db, dx, pooled, pooledDw, pooledDx);
        }

        var lowered = Once(lower: true);
        var packed = Once(lower: false);
        Assert.True(lowered.Y.AsSpan().SequenceEqual(packed.Y), $"{shape}: y differs");
        Assert.True(lowered.Dw.AsSpan().SequenceEqual(packed.Dw), $"{shape}: dW differs");
        Assert.True(lowered.Db.AsSpan().SequenceEqual(packed.Db), $"{shape}: db differs");
        Assert.True(lowered.Dx.AsSpan().SequenceEqual(packed.Dx), $"{shape}: dx differs");
        Assert.True(lowered.Pooled.AsSpan().SequenceEqual(packed.Pooled), $"{shape}: pooled outputs differ");
        Assert.True(lowered.PooledDw.AsSpan().SequenceEqual(packed.PooledDw), $"{shape}: pooled dW differs");
        Assert.True(lowered.PooledDx.AsSpan().SequenceEqual(packed.PooledDx), $"{shape}: pooled dx differs");
    }

    [Fact]
    public void Serial_chunks_allocate_nothing()
    {
        // Chunks on the calling thread (as with one core): not a byte, GEMM packing buffers included once warm.
        var shape = new ConvShape(20, 12, 12, 50, 5, 5, 1, 0);
        const int count = 16;
        var workspace = new ConvWorkspace<float>(shape, count) { Serial = true };
        var (x, w, b, y, dz, dw, db, dx) = Buffers(shape, count);
        for (int i = 0; i < 2; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Step()
        {
            Conv.Forward<float>(x, w, b, y, count, shape, Activation.Relu, workspace);
            Conv.Backward<float>(x, w, dz, dw, db, dx, count, shape, workspace);
        }
    }

    [Fact]
    public void Parallel_chunks_allocate_only_what_parallel_for_does()
    {
        var shape = new ConvShape(20, 12, 12, 50, 5, 5, 1, 0);
        const int count = 64;
        var workspace = new ConvWorkspace<float>(shape, count);
        var (x, w, b, y, dz, dw, db, dx) = Buffers(shape, count);
        var poolShape = new PoolShape(50, 8, 8, 2, 2);
        var pooled = new float[count * poolShape.OutputSize];
        var argmax = new int[pooled.Length];
        for (int i = 0; i < 3; i++) Step();
        // The process-wide count also sees other threads (the test host's among them): the quietest of a few windows.
        long perStep = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            const int steps = 10;
            for (int i = 0; i < steps; i++) Step();
            perStep = Math.Min(perStep, (GC.GetTotalAllocatedBytes(precise: true) - before) / steps);
        }
        // Four Parallel.For calls per step, about 2 KB each; nothing that grows with the batch (megabytes here).
        Assert.True(perStep < 32_000, $"{perStep} bytes allocated per step");

        void Step()
        {
            Conv.Forward<float>(x, w, b, y, count, shape, Activation.Relu, workspace);
            Conv.Backward<float>(x, w, dz, dw, db, dx, count, shape, workspace);
            MaxPool.Forward<float>(y, pooled, argmax, count, poolShape);
            MaxPool.Backward<float>(pooled, argmax, y, count, poolShape);
        }
    }

    private static (float[] X, float[] W, float[] B, float[] Y, float[] Dz, float[] Dw, float[] Db, float[] Dx) Buffers(ConvShape shape, int count)
    {
        var random = new Random(11);
        return (TestData.To<float>(TestData.Uniform(random, count * shape.InputSize)),
            TestData.To<float>(TestData.Uniform(random, shape.WeightCount)),
            TestData.To<float>(TestData.Uniform(random, shape.Filters)),
            new float[count * shape.OutputSize],
            TestData.To<float>(TestData.Uniform(random, count * shape.OutputSize)),
            new float[shape.WeightCount], new float[shape.Filters], new float[count * shape.InputSize]);
    }
}

/// <summary>Tests that measure the process's allocations: run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive;
