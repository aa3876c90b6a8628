using System.Numerics;
using Dsl.Layers;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary><see cref="MaxPool.Forward{T}"/> and <see cref="MaxPool.Backward{T}"/> against plain loops, with
/// stride = size and stride &lt; size (overlapping windows), odd sizes, ties, and batches large enough to run in
/// parallel.</summary>
public sealed class MaxPoolTests
{
    /// <summary>(C, H, W, size, stride, count).</summary>
    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        { 1, 4, 4, 2, 2, 1 },
        { 3, 7, 7, 2, 2, 2 },   // odd: the last row and column are never pooled
        { 2, 9, 9, 3, 3, 3 },
        { 3, 9, 7, 3, 2, 2 },   // overlapping
        { 5, 13, 13, 3, 1, 2 }, // overlapping, stride 1
        { 2, 11, 13, 4, 3, 2 },
        { 2, 13, 15, 2, 2, 3 },  // 2×2: four windows at a time and a tail of three
        { 3, 5, 5, 5, 2, 2 },   // one window
        { 20, 24, 24, 2, 2, 9 }, // LeNet-5 pool1, parallel
        { 50, 8, 8, 2, 2, 40 },  // LeNet-5 pool2, parallel
        { 7, 13, 11, 3, 2, 120 }, // overlapping, parallel
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_the_reference(int c, int h, int w, int size, int stride, int count) =>
        Check<float>(new PoolShape(c, h, w, size, stride), count, ties: false);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_the_reference(int c, int h, int w, int size, int stride, int count) =>
        Check<double>(new PoolShape(c, h, w, size, stride), count, ties: false);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Ties_go_to_the_first_in_window_order(int c, int h, int w, int size, int stride, int count) =>
        Check<float>(new PoolShape(c, h, w, size, stride), count, ties: true);

    private static void Check<T>(PoolShape shape, int count, bool ties) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Randomize.Seed(shape, count, ties));
        // With ties: values from {1, 2, 3} (and negative), so that most windows hold equal maxima.
        double[] x = ties
            ? Enumerable.Range(0, count * shape.InputSize).Select(_ => (double)(random.Next(3) + 1) * (random.Next(4) == 0 ? -1 : 1)).ToArray()
            : TestData.Rounded<T>(TestData.Uniform(random, count * shape.InputSize));
        double[] dy = TestData.Rounded<T>(TestData.Uniform(random, count * shape.OutputSize));
        (double[] expectedY, int[] expectedArgmax) = PoolReference.Forward(x, count, shape);

        var y = new T[count * shape.OutputSize];
        var argmax = new int[y.Length];
        y.AsSpan().Fill(T.CreateChecked(99));
        argmax.AsSpan().Fill(-1);
        MaxPool.Forward<T>(TestData.To<T>(x), y, argmax, count, shape);
        Assert.Equal(expectedArgmax, argmax);
        Assert.Equal(expectedY, TestData.ToDouble(y));

        var dx = new T[count * shape.InputSize];
        dx.AsSpan().Fill(T.CreateChecked(5)); // overwritten, not accumulated
        MaxPool.Backward<T>(TestData.To<T>(dy), argmax, dx, count, shape);
        double[] expectedDx = PoolReference.Backward(dy, expectedArgmax, count, shape);
        // Overlapping windows add up to (size/stride)² values in T: compare with the sum's round-off.
        double tolerance = typeof(T) == typeof(float) ? 1e-6 : 1e-15;
        for (int i = 0; i < dx.Length; i++)
            Assert.True(Math.Abs(expectedDx[i] - double.CreateChecked(dx[i])) <= tolerance * 16, $"{shape} dx[{i}]: expected {expectedDx[i]}, got {dx[i]}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_activation_derivative_equals_the_two_passes(int c, int h, int w, int size, int stride, int count)
    {
        FusedEqualsTwoPasses<float>(new PoolShape(c, h, w, size, stride), count);
        FusedEqualsTwoPasses<double>(new PoolShape(c, h, w, size, stride), count);
    }

    private static void FusedEqualsTwoPasses<T>(PoolShape shape, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Randomize.Seed(shape, count));
        foreach (Activation activation in new[] { Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu })
        {
            // x as the previous layer's output under the activation (Relu's has zeros, as it would).
            T[] x = TestData.To<T>(TestData.Uniform(random, count * shape.InputSize, -2, 2).Select(v => TestData.Apply(activation, v)).ToArray());
            T[] dy = TestData.To<T>(TestData.Uniform(random, count * shape.OutputSize));
            var y = new T[dy.Length];
            var argmax = new int[dy.Length];
            MaxPool.Forward<T>(x, y, argmax, count, shape);

            var expected = new T[x.Length];
            MaxPool.Backward<T>(dy, argmax, expected, count, shape);
            Dsl.Cpu.Activations.Backward<T>(activation, x, expected);
            var fused = new T[x.Length];
            fused.AsSpan().Fill(T.One);
            MaxPool.Backward<T>(dy, argmax, x, fused, count, shape, activation);
            Assert.True(expected.AsSpan().SequenceEqual(fused), $"{shape} {activation} ({typeof(T).Name})");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_activation_after_pooling_is_the_pooling_of_the_activated_inputs(int c, int h, int w, int size, int stride, int count)
    {
        ActivationAfterPooling<float>(new PoolShape(c, h, w, size, stride), count);
        ActivationAfterPooling<double>(new PoolShape(c, h, w, size, stride), count);
    }

    /// <summary>Pooling the pre-activations z then applying f equals pooling f(z) (the same winners, the same values
    /// to f's rounding), and the backward pass through f on the maxima equals routing first and differentiating f
    /// at the winners: the same gradient for the layer before.</summary>
    private static void ActivationAfterPooling<T>(PoolShape shape, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(Randomize.Seed(shape, count, typeof(T).Name));
        foreach (Activation activation in new[] { Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu })
        {
            T[] z = TestData.To<T>(TestData.Uniform(random, count * shape.InputSize, -3, 3));
            T[] dy = TestData.To<T>(TestData.Uniform(random, count * shape.OutputSize));
            T[] activated = (T[])z.Clone();
            Dsl.Cpu.Activations.Forward<T>(activation, activated);
            var expectedY = new T[dy.Length];
            var expectedArgmax = new int[dy.Length];
            MaxPool.Forward<T>(activated, expectedY, expectedArgmax, count, shape);
            var expectedDx = new T[z.Length];
            MaxPool.Backward<T>(dy, expectedArgmax, activated, expectedDx, count, shape, activation);

            var y = new T[dy.Length];
            var argmax = new int[dy.Length];
            MaxPool.Forward<T>(z, y, argmax, count, shape, activation);
            T[] gradient = (T[])dy.Clone();
            var dx = new T[z.Length];
            dx.AsSpan().Fill(T.CreateChecked(7)); // overwritten
            MaxPool.BackwardThroughActivation<T>(gradient, y, activation, argmax, dx, count, shape);

            // Relu makes every negative z a tie at 0 after activation, won by the first there and by the largest z
            // here; the gradient at either is 0. Elsewhere f is strictly increasing: the same winners.
            double tolerance = typeof(T) == typeof(float) ? 1e-6 : 1e-14;
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(Math.Abs(double.CreateChecked(expectedY[i] - y[i])) <= tolerance, $"{shape} {activation} y[{i}]: {expectedY[i]} against {y[i]}");
                if (activation != Activation.Relu || y[i] > T.Zero)
                    Assert.Equal(expectedArgmax[i], argmax[i]);
            }
            for (int i = 0; i < dx.Length; i++)
                Assert.True(Math.Abs(double.CreateChecked(expectedDx[i] - dx[i])) <= tolerance * 16,
                    $"{shape} {activation} ({typeof(T).Name}) dx[{i}]: {expectedDx[i]} against {dx[i]}");
        }
    }

    [Fact]
    public void Overlapping_windows_accumulate_at_a_shared_maximum()
    {
        // One 3×3 plane, 2×2 windows with stride 1: the centre is the maximum of all four windows.
        var shape = new PoolShape(1, 3, 3, 2, 1);
        double[] x = [1, 2, 3, 4, 9, 5, 6, 7, 8];
        var y = new double[4];
        var argmax = new int[4];
        MaxPool.Forward<double>(x, y, argmax, 1, shape);
        Assert.Equal([9.0, 9, 9, 9], y);
        Assert.Equal([4, 4, 4, 4], argmax);
        var dx = new double[9];
        MaxPool.Backward<double>([0.5, 0.25, 2, 4], argmax, dx, 1, shape);
        Assert.Equal([0.0, 0, 0, 0, 6.75, 0, 0, 0, 0], dx);
    }

    [Fact]
    public void Argmax_indexes_the_whole_batch()
    {
        var shape = new PoolShape(2, 2, 2, 2, 2);
        double[] x = [1, 2, 3, 4, 8, 7, 6, 5, 1, 9, 1, 1, 2, 2, 2, 3];
        var y = new double[4];
        var argmax = new int[4];
        MaxPool.Forward<double>(x, y, argmax, 2, shape);
        Assert.Equal([4.0, 8, 9, 3], y);
        Assert.Equal([3, 4, 9, 15], argmax);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    public void Backward_takes_any_argmax_inside_the_plane(int size, int stride)
    {
        // Backward's contract is the scatter, not Forward's windows: argmax may point anywhere in the output's own
        // channel plane (the vectorised 2×2 path must notice and fall back).
        var shape = new PoolShape(3, 9, 10, size, stride);
        const int count = 2;
        var random = new Random(size);
        double[] dy = TestData.Uniform(random, count * shape.OutputSize);
        int outputPlane = shape.OutputHeight * shape.OutputWidth, planeSize = shape.Height * shape.Width;
        int[] argmax = Enumerable.Range(0, dy.Length).Select(i => i / outputPlane * planeSize + random.Next(planeSize)).ToArray();
        var dx = new float[count * shape.InputSize];
        dx.AsSpan().Fill(3);
        MaxPool.Backward<float>(TestData.To<float>(dy), argmax, dx, count, shape);
        double[] expected = PoolReference.Backward(TestData.Rounded<float>(dy), argmax, count, shape);
        for (int i = 0; i < dx.Length; i++) Assert.True(Math.Abs(expected[i] - dx[i]) <= 1e-6, $"dx[{i}]: expected {expected[i]}, got {dx[i]}");
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        var shape = new PoolShape(2, 4, 4, 2, 2);
        float[] x = new float[2 * shape.InputSize], y = new float[2 * shape.OutputSize];
        int[] argmax = new int[y.Length];
        Assert.Throws<ArgumentException>(() => MaxPool.Forward<float>(x.AsSpan(1), y, argmax, 2, shape));
        Assert.Throws<ArgumentException>(() => MaxPool.Forward<float>(x, y, argmax.AsSpan(1), 2, shape));
        Assert.Throws<ArgumentException>(() => MaxPool.Forward<float>(x, y, argmax, 1, new PoolShape(2, 4, 4, 5, 1)));
        Assert.Throws<ArgumentException>(() => MaxPool.Backward<float>(y, argmax, x, x, 2, shape, Activation.Softmax));
        Assert.Throws<ArgumentException>(() => MaxPool.Backward<float>(y, argmax, x.AsSpan(1), x, 2, shape, Activation.Tanh));
        Assert.Throws<ArgumentException>(() => MaxPool.Forward<float>(x, y, argmax, 2, shape, Activation.Softmax));
        float[] dy = new float[y.Length];
        Assert.Throws<ArgumentException>(() => MaxPool.BackwardThroughActivation<float>(dy, y.AsSpan(1), Activation.Tanh, argmax, x, 2, shape));
        Assert.Throws<ArgumentException>(() => MaxPool.BackwardThroughActivation<float>(dy, y, Activation.Softmax, argmax, x, 2, shape));
        Assert.Throws<ArgumentException>(() => MaxPool.BackwardThroughActivation<float>(y, y, Activation.Tanh, argmax, x, 2, shape)); // dy overlaps y
        argmax[3] = 0; // belongs to image 0, channel 0; output 3 is channel 0 too — valid
        argmax[4] = 0; // output 4 is channel 1 of image 0: outside its plane
        Assert.Throws<ArgumentException>(() => MaxPool.Backward<float>(y, argmax, x, 2, shape));
    }
}
