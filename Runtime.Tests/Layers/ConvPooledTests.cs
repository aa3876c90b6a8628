using System.Numerics;
using Dsl.Layers;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary>
/// <see cref="Conv.ForwardPooled{T}"/> and <see cref="Conv.BackwardPooled{T}"/>, the image-by-image convolution and
/// max-pooling of the CPU path, against the two layers run one after the other over the batch (each checked against
/// its definition in <see cref="ConvTests"/> and <see cref="MaxPoolTests"/>): the same bits, for every activation, on
/// fresh random inputs, with padding, stride, overlapping windows, windows that leave rows over, and batches cut
/// into many chunks.
/// </summary>
[Collection(nameof(AllocationSensitive))]
public sealed class ConvPooledTests
{
    /// <summary>(C, H, W, F, kh, kw, conv stride, padding, pool size, pool stride, count).</summary>
    public static IEnumerable<object[]> Shapes()
    {
        yield return [1, 28, 28, 20, 5, 5, 1, 0, 2, 2, 21];  // LeNet-5 conv1 and pool1, three chunks
        yield return [20, 12, 12, 50, 5, 5, 1, 0, 2, 2, 7];  // LeNet-5 conv2 and pool2, seven chunks
        yield return [3, 9, 9, 4, 3, 3, 1, 1, 3, 2, 3];      // padded conv, overlapping windows
        yield return [5, 13, 13, 3, 5, 5, 2, 2, 2, 2, 2];    // strided conv, odd 7×7 output: a row and column left over
        yield return [3, 13, 11, 7, 2, 3, 1, 0, 3, 3, 5];    // 12×9 output, 3×3 windows
        yield return [2, 9, 9, 6, 3, 3, 1, 1, 9, 1, 2];      // one window over the whole output
        yield return [3, 13, 13, 5, 5, 5, 1, 2, 2, 2, 700];  // many images: 32 chunks
    }

    private static readonly Activation[] Activations_ = [Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_equals_the_two_layers_bit_for_bit(int c, int h, int w, int f, int kh, int kw, int s, int p, int size, int stride, int count) =>
        Check<float>(new ConvShape(c, h, w, f, kh, kw, s, p), size, stride, count);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_equals_the_two_layers_bit_for_bit(int c, int h, int w, int f, int kh, int kw, int s, int p, int size, int stride, int count) =>
        Check<double>(new ConvShape(c, h, w, f, kh, kw, s, p), size, stride, count);

    private static void Check<T>(ConvShape shape, int size, int stride, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pool = new PoolShape(shape.Filters, shape.OutputHeight, shape.OutputWidth, size, stride);
        var random = new Random(Randomize.Seed(shape, size, stride, count));
        T[] x = TestData.To<T>(TestData.Uniform(random, count * shape.InputSize));
        T[] weights = TestData.To<T>(TestData.Uniform(random, shape.WeightCount, -0.5, 0.5));
        T[] bias = TestData.To<T>(TestData.Uniform(random, shape.Filters, -0.5, 0.5));
        T[] dy = TestData.To<T>(TestData.Uniform(random, count * pool.OutputSize));
        var separate = new ConvWorkspace<T>(shape, count);
        var pooledWorkspace = new ConvWorkspace<T>(shape, pool, count);
        var serialWorkspace = new ConvWorkspace<T>(shape, pool, count) { Serial = true };

        foreach (Activation activation in Activations_)
        {
            // The two layers over the batch: the convolution's pre-activations, pooled, f on the maxima; backward,
            // f' on the maxima, routed, then the convolution's gradients.
            var z = new T[count * shape.OutputSize];
            var y = new T[count * pool.OutputSize];
            var argmax = new int[count * pool.OutputSize];
            Conv.Forward<T>(x, weights, bias, z, count, shape, Activation.Identity, separate);
            MaxPool.Forward<T>(z, y, argmax, count, pool, activation);
            T[] dyThrough = (T[])dy.Clone();
            var dz = new T[count * shape.OutputSize];
            MaxPool.BackwardThroughActivation<T>(dyThrough, y, activation, argmax, dz, count, pool);
            var dw = new T[shape.WeightCount];
            var db = new T[shape.Filters];
            var dx = new T[count * shape.InputSize];
            Conv.Backward<T>(x, weights, dz, dw, db, dx, count, shape, separate);

            foreach (ConvWorkspace<T> workspace in new[] { pooledWorkspace, serialWorkspace })
            {
                string what = $"{shape}, {pool}, {activation}, serial {workspace.Serial}";
                var pooled = new T[count * pool.OutputSize + 3];
                var pooledArgmax = new int[count * pool.OutputSize + 3];
                pooled.AsSpan().Fill(T.CreateChecked(12345));
                pooledArgmax.AsSpan().Fill(-7);
                Conv.ForwardPooled<T>(x, weights, bias, pooled, pooledArgmax, count, shape, pool, activation, workspace);
                Assert.True(y.AsSpan().SequenceEqual(pooled.AsSpan(0, y.Length)), $"{what}: pooled outputs differ");
                Assert.True(argmax.AsSpan().SequenceEqual(pooledArgmax.AsSpan(0, argmax.Length)), $"{what}: argmax differs");
                Assert.True(pooled[^1] == T.CreateChecked(12345) && pooledArgmax[^1] == -7, $"{what}: wrote past the batch");

                T[] dyPooled = (T[])dy.Clone();
                var dwPooled = new T[shape.WeightCount];
                var dbPooled = new T[shape.Filters];
                var dxPooled = new T[count * shape.InputSize];
                dwPooled.AsSpan().Fill(T.One); dbPooled.AsSpan().Fill(T.One); dxPooled.AsSpan().Fill(T.One); // overwritten
                Conv.BackwardPooled<T>(x, weights, dyPooled, pooled, activation, pooledArgmax, dwPooled, dbPooled, dxPooled,
                    count, shape, pool, workspace);
                Assert.True(dyThrough.AsSpan().SequenceEqual(dyPooled), $"{what}: dy ⊙ f'(y) differs");
                Assert.True(dw.AsSpan().SequenceEqual(dwPooled), $"{what}: dW differs");
                Assert.True(db.AsSpan().SequenceEqual(dbPooled), $"{what}: db differs");
                Assert.True(dx.AsSpan().SequenceEqual(dxPooled), $"{what}: dx differs");

                // Without an input gradient (the first layer): the same dW and db.
                dyPooled = (T[])dy.Clone();
                Conv.BackwardPooled<T>(x, weights, dyPooled, pooled, activation, pooledArgmax, dwPooled, dbPooled, Span<T>.Empty,
                    count, shape, pool, workspace);
                Assert.True(dw.AsSpan().SequenceEqual(dwPooled), $"{what}: dW differs without dx");
                Assert.True(db.AsSpan().SequenceEqual(dbPooled), $"{what}: db differs without dx");
            }
        }
    }

    [Fact]
    public void Smaller_batches_and_an_empty_one_reuse_the_workspace()
    {
        var shape = new ConvShape(3, 9, 9, 4, 3, 3, 1, 1);
        var pool = new PoolShape(4, 9, 9, 2, 2);
        var workspace = new ConvWorkspace<double>(shape, pool, 40);
        var separate = new ConvWorkspace<double>(shape, 40);
        var random = new Random(11);
        foreach (int count in new[] { 40, 1, 17, 0, 40 })
        {
            double[] x = TestData.Uniform(random, count * shape.InputSize);
            double[] w = TestData.Uniform(random, shape.WeightCount), b = TestData.Uniform(random, shape.Filters);
            double[] dy = TestData.Uniform(random, count * pool.OutputSize);
            var z = new double[count * shape.OutputSize];
            var y = new double[count * pool.OutputSize];
            var argmax = new int[count * pool.OutputSize];
            Conv.Forward<double>(x, w, b, z, count, shape, Activation.Identity, separate);
            MaxPool.Forward<double>(z, y, argmax, count, pool, Activation.Relu);
            var pooled = new double[y.Length];
            var pooledArgmax = new int[argmax.Length];
            Conv.ForwardPooled<double>(x, w, b, pooled, pooledArgmax, count, shape, pool, Activation.Relu, workspace);
            Assert.Equal(y, pooled);
            Assert.Equal(argmax, pooledArgmax);

            double[] dyThrough = (double[])dy.Clone();
            var dz = new double[z.Length];
            MaxPool.BackwardThroughActivation<double>(dyThrough, y, Activation.Relu, argmax, dz, count, pool);
            var dw = new double[shape.WeightCount];
            var db = new double[shape.Filters];
            var dx = new double[count * shape.InputSize];
            Conv.Backward<double>(x, w, dz, dw, db, dx, count, shape, separate);
            var dwPooled = new double[shape.WeightCount];
            var dbPooled = new double[shape.Filters];
            dwPooled.AsSpan().Fill(7); // overwritten, zero for no images
            dbPooled.AsSpan().Fill(7);
            var dxPooled = new double[dx.Length];
            Conv.BackwardPooled<double>(x, w, dy, pooled, Activation.Relu, pooledArgmax, dwPooled, dbPooled, dxPooled, count, shape, pool, workspace);
            Assert.Equal(dw, dwPooled);
            Assert.Equal(db, dbPooled);
            Assert.Equal(dx, dxPooled);
        }
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        var shape = new ConvShape(2, 6, 6, 3, 3, 3, 1, 0); // output 3×4×4
        var pool = new PoolShape(3, 4, 4, 2, 2);
        var workspace = new ConvWorkspace<float>(shape, pool, 2);
        float[] x = new float[2 * shape.InputSize], w = new float[shape.WeightCount], b = new float[3];
        float[] y = new float[2 * pool.OutputSize], dy = new float[2 * pool.OutputSize], dx = new float[x.Length];
        int[] argmax = new int[2 * pool.OutputSize];
        Conv.ForwardPooled<float>(x, w, b, y, argmax, 2, shape, pool, Activation.Tanh, workspace);

        // A pooling that does not take the convolution's output, or a workspace sized for another pooling or none.
        Assert.Throws<ArgumentException>(() => new ConvWorkspace<float>(shape, new PoolShape(3, 5, 4, 2, 2), 2));
        Assert.Throws<ArgumentException>(() => new ConvWorkspace<float>(shape, new PoolShape(4, 4, 4, 2, 2), 2));
        Assert.Throws<ArgumentException>(() => new ConvWorkspace<float>(shape, new PoolShape(3, 4, 4, 5, 2), 2));
        Assert.Throws<ArgumentException>(() => Conv.ForwardPooled<float>(x, w, b, y, argmax, 2, shape, pool, Activation.Tanh, new ConvWorkspace<float>(shape, 2)));
        Assert.Throws<ArgumentException>(() => Conv.ForwardPooled<float>(x, w, b, y, argmax, 2, shape, new PoolShape(3, 4, 4, 2, 1), Activation.Tanh, workspace));
        // Counts, activations and spans.
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv.ForwardPooled<float>(x, w, b, y, argmax, 3, shape, pool, Activation.Tanh, workspace));
        Assert.Throws<ArgumentException>(() => Conv.ForwardPooled<float>(x, w, b, y, argmax, 2, shape, pool, Activation.Softmax, workspace));
        Assert.Throws<ArgumentException>(() => Conv.ForwardPooled<float>(x, w, b, y.AsSpan(1), argmax, 2, shape, pool, Activation.Tanh, workspace));
        Assert.Throws<ArgumentException>(() => Conv.ForwardPooled<float>(x, w, b, y, argmax.AsSpan(1), 2, shape, pool, Activation.Tanh, workspace));
        Assert.Throws<ArgumentException>(() => Conv.BackwardPooled<float>(x, w, dy.AsSpan(1), y, Activation.Tanh, argmax, w, b, dx, 2, shape, pool, workspace));
        Assert.Throws<ArgumentException>(() => Conv.BackwardPooled<float>(x, w, dy, y.AsSpan(1), Activation.Tanh, argmax, w, b, dx, 2, shape, pool, workspace));
        Assert.Throws<ArgumentException>(() => Conv.BackwardPooled<float>(x, w, dy, y, Activation.Tanh, argmax, w, b, dx.AsSpan(1), 2, shape, pool, workspace));
        // The gradient must not be the outputs it is multiplied by f' of.
        Assert.Throws<ArgumentException>(() => Conv.BackwardPooled<float>(x, w, y, y, Activation.Tanh, argmax, w, b, dx, 2, shape, pool, workspace));

        // An argmax outside its window's plane: refused, naming the argmax.
        int[] corrupt = (int[])argmax.Clone();
        corrupt[pool.OutputSize + 1] = 0; // image 1's window pointing into image 0
        var error = Assert.Throws<ArgumentException>(() =>
            Conv.BackwardPooled<float>(x, w, dy, y, Activation.Tanh, corrupt, new float[w.Length], new float[3], dx, 2, shape, pool, workspace));
        Assert.Equal("argmax", error.ParamName);
    }

    [Fact]
    public void Serial_chunks_allocate_nothing()
    {
        var shape = new ConvShape(20, 12, 12, 50, 5, 5, 1, 0);
        var pool = new PoolShape(50, 8, 8, 2, 2);
        const int count = 16;
        var workspace = new ConvWorkspace<float>(shape, pool, count) { Serial = true };
        var random = new Random(2);
        float[] x = TestData.To<float>(TestData.Uniform(random, count * shape.InputSize));
        float[] w = TestData.To<float>(TestData.Uniform(random, shape.WeightCount));
        float[] b = TestData.To<float>(TestData.Uniform(random, shape.Filters));
        float[] dy = TestData.To<float>(TestData.Uniform(random, count * pool.OutputSize));
        float[] y = new float[count * pool.OutputSize], dw = new float[w.Length], db = new float[b.Length], dx = new float[x.Length];
        int[] argmax = new int[y.Length];
        for (int i = 0; i < 2; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Step()
        {
            Conv.ForwardPooled<float>(x, w, b, y, argmax, count, shape, pool, Activation.Tanh, workspace);
            Conv.BackwardPooled<float>(x, w, dy, y, Activation.Tanh, argmax, dw, db, dx, count, shape, pool, workspace);
        }
    }
}
