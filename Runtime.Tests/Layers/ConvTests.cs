using System.Numerics;
using Dsl.Cpu;
using Dsl.Layers;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary>
/// <see cref="Conv.Forward{T}"/> and <see cref="Conv.Backward{T}"/> against the direct definition in double, on fresh
/// random inputs, weights, biases and output gradients, over odd channel counts and sizes, every kernel, stride and
/// padding combination that matters, and batches large enough to be cut into several chunks.
/// </summary>
public sealed class ConvTests
{
    /// <summary>(C, H, W, F, kh, kw, stride, padding, count).</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 7, 7, 2, 3, 3, 1, 0, 2 },
        { 3, 9, 9, 4, 3, 3, 1, 1, 3 },
        { 5, 13, 13, 3, 5, 5, 2, 2, 2 },
        { 3, 9, 7, 5, 2, 3, 1, 1, 2 },
        { 5, 7, 9, 6, 1, 1, 1, 0, 3 },
        { 1, 13, 9, 4, 5, 5, 1, 2, 2 },
        { 3, 13, 13, 7, 2, 3, 2, 0, 2 },
        { 5, 9, 13, 2, 3, 3, 2, 1, 3 },
        { 3, 7, 7, 4, 1, 1, 2, 0, 2 },
        { 2, 5, 5, 3, 1, 1, 1, 1, 2 },   // padding wider than the kernel: a border of pure bias
        { 3, 10, 11, 4, 3, 2, 3, 1, 2 }, // stride 3, inputs left over by the floor
        { 5, 9, 9, 3, 9, 9, 1, 0, 3 },   // the kernel covers the whole input: one output pixel
        { 3, 13, 13, 5, 5, 5, 1, 2, 700 }, // many images: several chunks
        { 1, 28, 28, 20, 5, 5, 1, 0, 21 }, // LeNet-5 conv1, three chunks
        { 20, 12, 12, 50, 5, 5, 1, 0, 7 },  // LeNet-5 conv2, seven chunks
    };

    private static readonly Activation[] Activations_ = [Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_the_direct_definition(int c, int h, int w, int f, int kh, int kw, int s, int p, int count) =>
        Check<float>(new ConvShape(c, h, w, f, kh, kw, s, p), count, 1e-5);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_the_direct_definition(int c, int h, int w, int f, int kh, int kw, int s, int p, int count) =>
        Check<double>(new ConvShape(c, h, w, f, kh, kw, s, p), count, 1e-13);

    /// <summary>Every output: |actual − reference| ≤ tolerance · (Σ|terms| + 1), the scale of the round-off a sum in T
    /// can make (f' ≤ 1 keeps it so after the activation; the 1 covers the activation's own last bits).</summary>
    private static void Check<T>(ConvShape shape, int count, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Randomize.Seed(shape, count));
        double[] x = TestData.Rounded<T>(TestData.Uniform(random, count * shape.InputSize));
        double[] w = TestData.Rounded<T>(TestData.Uniform(random, shape.WeightCount, -0.5, 0.5));
        double[] b = TestData.Rounded<T>(TestData.Uniform(random, shape.Filters, -0.5, 0.5));
        double[] dz = TestData.Rounded<T>(TestData.Uniform(random, count * shape.OutputSize));
        var workspace = new ConvWorkspace<T>(shape, count + 3);
        T[] xt = TestData.To<T>(x), wt = TestData.To<T>(w), bt = TestData.To<T>(b), dzt = TestData.To<T>(dz);

        (double[] z, double[] scale) = ConvReference.Forward(x, w, b, count, shape);
        foreach (Activation activation in Activations_)
        {
            var y = new T[count * shape.OutputSize + 5];
            y.AsSpan().Fill(T.CreateChecked(12345));
            Conv.Forward<T>(xt, wt, bt, y, count, shape, activation, workspace);
            for (int i = 0; i < z.Length; i++)
                AssertClose(TestData.Apply(activation, z[i]), double.CreateChecked(y[i]), tolerance * (scale[i] + 1), $"{shape} {activation} y[{i}]");
            Assert.True(y[^1] == T.CreateChecked(12345), "Forward wrote past the batch's outputs");
        }

        ConvReference.Gradients g = ConvReference.Backward(x, w, dz, count, shape);
        var dw = new T[shape.WeightCount];
        var db = new T[shape.Filters];
        var dx = new T[count * shape.InputSize];
        dw.AsSpan().Fill(T.One); db.AsSpan().Fill(T.One); dx.AsSpan().Fill(T.One); // overwritten, not accumulated
        Conv.Backward<T>(xt, wt, dzt, dw, db, dx, count, shape, workspace);
        for (int i = 0; i < dw.Length; i++) AssertClose(g.Dw[i], double.CreateChecked(dw[i]), tolerance * (g.DwScale[i] + 1), $"{shape} dW[{i}]");
        for (int i = 0; i < db.Length; i++) AssertClose(g.Db[i], double.CreateChecked(db[i]), tolerance * (g.DbScale[i] + 1), $"{shape} db[{i}]");
        for (int i = 0; i < dx.Length; i++) AssertClose(g.Dx[i], double.CreateChecked(dx[i]), tolerance * (g.DxScale[i] + 1), $"{shape} dx[{i}]");

        // Without an input gradient (the first layer): the same dW and db, bit for bit.
        var dw2 = new T[shape.WeightCount];
        var db2 = new T[shape.Filters];
        Conv.Backward<T>(xt, wt, dzt, dw2, db2, Span<T>.Empty, count, shape, workspace);
        Assert.Equal(dw, dw2);
        Assert.Equal(db, db2);
    }

    private static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what}: expected {expected:E10}, got {actual:E10} (tolerance {tolerance:E2})");

    [Fact]
    public void A_smaller_batch_reuses_the_workspace()
    {
        var shape = new ConvShape(3, 9, 9, 4, 3, 3, 1, 1);
        var random = new Random(5);
        var workspace = new ConvWorkspace<double>(shape, 40);
        foreach (int count in new[] { 40, 1, 17, 0, 40 })
        {
            double[] x = TestData.Uniform(random, count * shape.InputSize);
            double[] w = TestData.Uniform(random, shape.WeightCount);
            double[] b = TestData.Uniform(random, shape.Filters);
            var y = new double[count * shape.OutputSize];
            Conv.Forward<double>(x, w, b, y, count, shape, Activation.Identity, workspace);
            (double[] z, _) = ConvReference.Forward(x, w, b, count, shape);
            for (int i = 0; i < z.Length; i++) Assert.True(Math.Abs(z[i] - y[i]) < 1e-12, $"count {count}: y[{i}]");

            double[] dz = TestData.Uniform(random, count * shape.OutputSize);
            var dw = new double[shape.WeightCount];
            var db = new double[shape.Filters];
            var dx = new double[count * shape.InputSize];
            dw.AsSpan().Fill(7);
            db.AsSpan().Fill(7);
            Conv.Backward<double>(x, w, dz, dw, db, dx, count, shape, workspace);
            ConvReference.Gradients g = ConvReference.Backward(x, w, dz, count, shape);
            for (int i = 0; i < dw.Length; i++) Assert.True(Math.Abs(g.Dw[i] - dw[i]) < 1e-11, $"count {count}: dW[{i}]");
            for (int i = 0; i < db.Length; i++) Assert.True(Math.Abs(g.Db[i] - db[i]) < 1e-11, $"count {count}: db[{i}]");
            for (int i = 0; i < dx.Length; i++) Assert.True(Math.Abs(g.Dx[i] - dx[i]) < 1e-11, $"count {count}: dx[{i}]");
        }
    }

    [Fact]
    public void Chunks_depend_on_the_shape_and_count_only_and_never_decrease()
    {
        var conv2 = new ConvShape(20, 12, 12, 50, 5, 5, 1, 0);
        Assert.Equal(1, Conv.ChunkCount(conv2, 1));
        Assert.Equal(Conv.MaxChunks, Conv.ChunkCount(conv2, 500));
        foreach (ConvShape shape in new[] { conv2, new ConvShape(1, 28, 28, 20, 5, 5, 1, 0), new ConvShape(3, 7, 7, 2, 3, 3, 1, 0) })
        {
            int previous = 1;
            for (int count = 1; count <= 2000; count++)
            {
                int chunks = Conv.ChunkCount(shape, count);
                Assert.InRange(chunks, previous, Math.Min(count, Conv.MaxChunks));
                previous = chunks;
            }
        }
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        var shape = new ConvShape(2, 5, 5, 3, 3, 3, 1, 0);
        var workspace = new ConvWorkspace<float>(shape, 2);
        float[] x = new float[2 * shape.InputSize], w = new float[shape.WeightCount], b = new float[3], y = new float[2 * shape.OutputSize];
        Assert.Throws<ArgumentException>(() => Conv.Forward<float>(x, w, b, y, 2, new ConvShape(2, 5, 5, 3, 3, 3, 1, 1), Activation.Relu, workspace));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv.Forward<float>(x, w, b, y, 3, shape, Activation.Relu, workspace));
        Assert.Throws<ArgumentException>(() => Conv.Forward<float>(x, w, b, y, 2, shape, Activation.Softmax, workspace));
        Assert.Throws<ArgumentException>(() => Conv.Forward<float>(x.AsSpan(1), w, b, y, 2, shape, Activation.Relu, workspace));
        Assert.Throws<ArgumentException>(() => Conv.Forward<float>(x, w, b, y.AsSpan(1), 2, shape, Activation.Relu, workspace));
        Assert.Throws<ArgumentException>(() => Conv.Backward<float>(x, w, y, w, b, x.AsSpan(1), 2, shape, workspace));
        Assert.Throws<ArgumentException>(() => Conv.Backward<float>(x, w, y, w.AsSpan(1), b, x, 2, shape, workspace));
        Assert.Throws<ArgumentException>(() => new ConvWorkspace<float>(new ConvShape(2, 5, 5, 3, 7, 3, 1, 0), 1));
        Assert.Throws<ArgumentException>(() => new ConvWorkspace<float>(new ConvShape(0, 5, 5, 3, 3, 3, 1, 0), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvWorkspace<float>(shape, 0));
    }

    [Fact]
    public void Shape_sizes_follow_pytorch()
    {
        var shape = new ConvShape(3, 11, 13, 4, 3, 2, 3, 1);
        Assert.Equal(4, shape.OutputHeight); // ⌊(11 + 2 − 3)/3⌋ + 1
        Assert.Equal(5, shape.OutputWidth);  // ⌊(13 + 2 − 2)/3⌋ + 1
        Assert.Equal(4 * 4 * 5, shape.OutputSize);
        Assert.Equal(3 * 3 * 2, shape.PatchSize);
        Assert.Equal(20, shape.OutputPixels);
        Assert.Equal(4 * 18, shape.WeightCount);
        Assert.Equal(3 * 11 * 13, shape.InputSize);
    }
}
