using System.Numerics;
using Dsl.Cpu;
using Xunit;

namespace Dsl.Tests.Cpu;

/// <summary>
/// <see cref="Gemm.Multiply{T}"/> against a naive reference in double, on random inputs in [-1, 1] without zeros
/// (so that every dropped or doubled term shows).
/// </summary>
public class GemmTests
{
    /// <summary>Edge-exercising sizes: tiny, around the 6-row tiles and the 8-, 16- and 32-column tiles and narrow
    /// panels of the vector paths, and (the large ones) beyond the 120-row and 256-deep blocks.</summary>
    private static readonly int[] SmallSizes = [1, 3, 7, 16, 17, 33];

    private static readonly int[] LargeSizes = [500, 501];

    /// <summary>Every combination of the small sizes, each large size in every position next to small ones, large
    /// pairs, and products that cross the 1024-column block and run in parallel.</summary>
    private static IEnumerable<(int M, int N, int K)> Shapes()
    {
        foreach (int m in SmallSizes)
            foreach (int n in SmallSizes)
                foreach (int k in SmallSizes)
                    yield return (m, n, k);
        foreach (int large in LargeSizes)
            foreach (int small in new[] { 1, 7, 17, 33 })
            {
                yield return (large, small, small);
                yield return (small, large, small);
                yield return (small, small, large);
            }
        yield return (500, 501, 7);
        yield return (501, 7, 500);
        yield return (7, 500, 501);
        yield return (501, 500, 33);
        yield return (33, 1100, 300);
        yield return (130, 2100, 17);
    }

    public static TheoryData<bool, bool, bool> Variants()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool transposeA in new[] { false, true })
            foreach (bool transposeB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                    data.Add(transposeA, transposeB, accumulate);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void FloatMatchesReference(bool transposeA, bool transposeB, bool accumulate)
    {
        foreach ((int m, int n, int k) in Shapes())
            Check<float>(transposeA, transposeB, m, n, k, accumulate);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DoubleMatchesReference(bool transposeA, bool transposeB, bool accumulate)
    {
        foreach ((int m, int n, int k) in Shapes())
            Check<double>(transposeA, transposeB, m, n, k, accumulate);
    }

    /// <summary>The products the networks run: MLP batch 20 (784-500-…), logistic regression batch 600, LeNet-5's
    /// first convolution as im2col (500 images × 24² positions × 25 taps → 20 maps) and a slice of the second.</summary>
    [Theory]
    [InlineData(false, false, 20, 500, 784)]   // MLP forward: x·W
    [InlineData(true, false, 784, 500, 20)]    // MLP dW = xᵀ·dz
    [InlineData(false, true, 20, 784, 500)]    // MLP dx = dz·Wᵀ
    [InlineData(false, false, 600, 10, 784)]   // logistic regression forward
    [InlineData(true, false, 784, 10, 600)]    // logistic regression dW
    [InlineData(false, true, 600, 784, 10)]    // logistic regression dx
    [InlineData(false, false, 500 * 24 * 24, 20, 25)]  // LeNet-5 conv1
    [InlineData(false, false, 50 * 8 * 8, 50, 500)]    // LeNet-5 conv2, 50 of the 500 images
    [InlineData(false, false, 20, 576, 26)]  // LeNet-5 conv1 per image: [W | b]·[col; 1]
    [InlineData(false, true, 20, 26, 576)]   // and [dW | db] = dZ·[col; 1]ᵀ
    [InlineData(false, true, 50, 501, 64)]   // LeNet-5 conv2's [dW | db]
    [InlineData(true, false, 500, 64, 50)]   // and its dcol = Wᵀ·dZ
    public void NetworkShapesMatchReference(bool transposeA, bool transposeB, int m, int n, int k)
    {
        Check<float>(transposeA, transposeB, m, n, k, accumulate: false);
        Check<float>(transposeA, transposeB, m, n, k, accumulate: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroDepthClearsOrKeepsC(bool accumulate)
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Multiply<float>(false, false, 2, 3, 0, [], [], c, accumulate);
        Assert.Equal(accumulate ? [1, 2, 3, 4, 5, 6] : new float[6], c);
    }

    [Fact]
    public void EmptyOutputLeavesEverythingAlone()
    {
        float[] c = [7];
        Gemm.Multiply<float>(false, false, 0, 3, 2, [], new float[6], c, accumulate: false);
        Gemm.Multiply<float>(true, true, 3, 0, 2, new float[6], [], c, accumulate: false);
        Assert.Equal([7f], c);
    }

    /// <summary>Spans may be longer than their matrices; the extra elements are neither read nor written.</summary>
    [Fact]
    public void LongerSpansAreAccepted()
    {
        float[] a = [1, 2, 3, 4, float.NaN], b = [5, 6, 7, 8, float.NaN], c = [0, 0, 0, 0, -1];
        Gemm.Multiply<float>(false, false, 2, 2, 2, a, b, c, accumulate: false);
        Assert.Equal([19f, 22, 43, 50, -1], c);
    }

    [Fact]
    public void InvalidArgumentsNameTheOperand()
    {
        float[] six = new float[6], other = new float[6];
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(false, false, -1, 2, 3, six, six, other, false)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(false, false, 2, -1, 3, six, six, other, false)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(false, false, 2, 3, -1, six, six, other, false)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(true, false, 2, 3, 4, six, new float[12], other, false)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, true, 2, 3, 3, six, new float[8], other, false)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 4, 3, six, new float[12], other, false)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 3, 3, six, new float[9], six, false)).ParamName);
        float[] shared = new float[12];
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(false, false, 2, 3, 3, six, shared.AsSpan(0, 9), shared.AsSpan(6, 6), false)).ParamName);
    }

    /// <summary>Once warm, a single-threaded product allocates nothing: the packing buffers are reused.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void WarmSingleThreadedCallsDoNotAllocate(bool transposeA, bool transposeB)
    {
        const int m = 50, n = 70, k = 90;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a, b, c, accumulate: false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a, b, c, accumulate: true);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Bit-for-bit reproducible: two parallel runs agree, and agree with C computed one row per call (another
    /// partitioning of the work entirely), because each element's summation order depends only on k.
    /// </summary>
    [Theory]
    [MemberData(nameof(ImplementationsAndTransposes))]
    public void ResultsAreDeterministic(string implementationName, bool transposeA, bool transposeB)
    {
        const int m = 301, n = 517, k = 700;
        var implementation = Enum.Parse<Gemm.Implementation>(implementationName);
        var random = new Random(42);
        float[] a = RandomValues<float>(random, m * k), b = RandomValues<float>(random, k * n);
        float[] first = new float[m * n], second = new float[m * n];
        Gemm.Multiply<float>(implementation, transposeA, transposeB, m, n, k, a, b, first, accumulate: false);
        Gemm.Multiply<float>(implementation, transposeA, transposeB, m, n, k, a, b, second, accumulate: false);
        Assert.Equal(first, second);

        if (transposeA) return; // rows of op(A) are not contiguous slices of the stored Aᵀ
        float[] rowByRow = new float[m * n];
        for (int i = 0; i < m; i++)
            Gemm.Multiply<float>(implementation, false, transposeB, 1, n, k, a.AsSpan(i * k, k), b, rowByRow.AsSpan(i * n, n), accumulate: false);
        Assert.Equal(first, rowByRow);
    }

    /// <summary>
    /// The parallel paths (rows handed out against a shared packed B when m ≥ n, column stripes otherwise) compute the
    /// same bits as one thread, across several column blocks (n &gt; 1024), depth blocks and a partial last tile, and
    /// the product is right.
    /// </summary>
    [Theory]
    [InlineData(false, false, 1100, 1030, 600)]
    [InlineData(true, false, 1100, 1030, 600)]
    [InlineData(false, true, 1100, 1030, 600)]
    [InlineData(true, true, 1100, 1030, 600)]
    [InlineData(false, false, 500, 500, 800)]  // LeNet-5's dense layer: rows shared
    [InlineData(false, false, 200, 1100, 300)] // columns
    public void ParallelPathsAgreeWithOneThreadBitForBit(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var random = new Random(Randomize.Seed(transposeA, transposeB, m, n, k));
        float[] a = RandomValues<float>(random, m * k), b = RandomValues<float>(random, k * n), c0 = RandomValues<float>(random, m * n);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] parallel = (float[])c0.Clone(), serial = (float[])c0.Clone();
            Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a, b, parallel, accumulate);
            Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a, b, serial, accumulate, parallel: false);
            Assert.Equal(serial, parallel);
            for (int check = 0; check < 200; check++) // spot checks against the definition, in double
            {
                int i = random.Next(m), j = random.Next(n);
                double expected = accumulate ? c0[i * n + j] : 0;
                for (int p = 0; p < k; p++)
                    expected += (double)a[transposeA ? p * m + i : i * k + p] * b[transposeB ? j * k + p : p * n + j];
                Assert.True(Math.Abs(expected - parallel[i * n + j]) <= 1e-4 * (1 + Math.Abs(expected)), $"C[{i}, {j}]: {parallel[i * n + j]} against {expected}");
            }
        }
    }

    /// <summary>
    /// A last partial tile of rows read in place is computed as a whole tile moved up to the last row, recomputing
    /// rows of the tile above without storing them: C's rows come out the same bits as when the tile is whole (A with
    /// rows added below) and as row by row, and nothing outside C is written.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void PartialRowTilesAgreeWithWholeTilesBitForBit(bool transposeA, bool transposeB)
    {
        const int n = 45, k = 300;
        var random = new Random(Randomize.Seed(transposeA, transposeB));
        foreach (int m in new[] { 7, 20, 50, 125 })
        {
            int whole = (m + 5) / 6 * 6;
            float[] aWhole = RandomValues<float>(random, whole * k), b = RandomValues<float>(random, k * n);
            // The first m rows of op(A): a prefix of A's rows, or of each row of the stored Aᵀ.
            float[] a = new float[m * k];
            for (int p = 0; p < k; p++)
                for (int i = 0; i < m; i++)
                    a[transposeA ? p * m + i : i * k + p] = aWhole[transposeA ? p * whole + i : i * k + p];
            foreach (bool accumulate in new[] { false, true })
            {
                float[] c0 = RandomValues<float>(random, whole * n);
                float[] cWhole = (float[])c0.Clone(), c = new float[m * n + 1];
                c0.AsSpan(0, m * n).CopyTo(c);
                c[^1] = 12345f;
                Gemm.Multiply<float>(transposeA, transposeB, whole, n, k, aWhole, b, cWhole, accumulate, parallel: false);
                Gemm.Multiply<float>(transposeA, transposeB, m, n, k, a, b, c, accumulate, parallel: false);
                Assert.True(cWhole.AsSpan(0, m * n).SequenceEqual(c.AsSpan(0, m * n)), $"m = {m}, accumulate {accumulate}");
                Assert.Equal(12345f, c[^1]);
            }
        }
    }

    /// <summary>The 256- and 512-bit paths do the same arithmetic per element (one FMA chain per depth block), so a
    /// machine with AVX-512 computes the same bits as one with AVX2 only.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void VectorWidthsAgreeBitForBit(bool transposeA, bool transposeB)
    {
        const int m = 97, n = 300, k = 600;
        Gemm.Implementation[] vectorised = Implementations().Where(i => i != Gemm.Implementation.Portable).ToArray();
        var random = new Random(7);
        float[] a = RandomValues<float>(random, m * k), b = RandomValues<float>(random, k * n);
        float[][] results = vectorised.Select(implementation =>
        {
            float[] c = new float[m * n];
            Gemm.Multiply<float>(implementation, transposeA, transposeB, m, n, k, a, b, c, accumulate: false);
            return c;
        }).ToArray();
        foreach (float[] result in results.Skip(1)) Assert.Equal(results[0], result);
    }

    public static TheoryData<string, bool, bool> ImplementationsAndTransposes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (Gemm.Implementation implementation in Implementations())
            foreach (bool transposeA in new[] { false, true })
                foreach (bool transposeB in new[] { false, true })
                    data.Add(implementation.ToString(), transposeA, transposeB);
        return data;
    }

    /// <summary>Every implementation this machine runs: the portable fallback and the vector widths it supports.</summary>
    private static IEnumerable<Gemm.Implementation> Implementations() =>
        Enum.GetValues<Gemm.Implementation>().Where(implementation => implementation <= Gemm.FastestImplementation);

    /// <summary>
    /// Runs every implementation on fresh random operands and compares every element of C with the double reference,
    /// allowing tol·(‖row i of op(A)‖·‖column j of op(B)‖ + √k·|C₀|): the sum's expected magnitude (the norms'
    /// product over √k) times a relative tolerance scaled by √k, 1e-4 for float and 1e-12 for double — above the
    /// worst-case rounding of a k-term FMA chain, below the size of a typical term.
    /// </summary>
    private static void Check<T>(bool transposeA, bool transposeB, int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A seed from the case itself (HashCode is salted per process), so that a failure reproduces.
        var random = new Random(((m * 1009 + n) * 1009 + k) * 8 + (transposeA ? 4 : 0) + (transposeB ? 2 : 0) + (accumulate ? 1 : 0));
        T[] a = RandomValues<T>(random, m * k), b = RandomValues<T>(random, k * n), initial = RandomValues<T>(random, m * n);

        // op(A) and op(B) materialised in double, row-major m×k and k×n.
        var opA = new double[m * k];
        var opB = new double[k * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
                opA[i * k + p] = double.CreateTruncating(transposeA ? a[p * m + i] : a[i * k + p]);
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                opB[p * n + j] = double.CreateTruncating(transposeB ? b[j * k + p] : b[p * n + j]);

        var columnNorms = new double[n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                columnNorms[j] += opB[p * n + j] * opB[p * n + j];
        for (int j = 0; j < n; j++) columnNorms[j] = Math.Sqrt(columnNorms[j]);

        double tolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-12;
        var expected = new double[m * n];
        var bounds = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            double rowNorm = 0;
            for (int p = 0; p < k; p++)
            {
                double aip = opA[i * k + p];
                rowNorm += aip * aip;
                for (int j = 0; j < n; j++) expected[i * n + j] += aip * opB[p * n + j];
            }
            rowNorm = Math.Sqrt(rowNorm);
            for (int j = 0; j < n; j++)
            {
                double c0 = accumulate ? double.CreateTruncating(initial[i * n + j]) : 0;
                expected[i * n + j] += c0;
                bounds[i * n + j] = tolerance * (rowNorm * columnNorms[j] + Math.Sqrt(k) * Math.Abs(c0));
            }
        }

        foreach (Gemm.Implementation implementation in Implementations())
        {
            T[] c = (T[])initial.Clone();
            Gemm.Multiply<T>(implementation, transposeA, transposeB, m, n, k, a, b, c, accumulate);
            for (int index = 0; index < m * n; index++)
            {
                double actual = double.CreateTruncating(c[index]);
                if (!(Math.Abs(actual - expected[index]) <= bounds[index]))
                    Assert.Fail($"{implementation} {typeof(T).Name} {(transposeA ? "T" : "N")}{(transposeB ? "T" : "N")} " +
                                $"m={m} n={n} k={k} accumulate={accumulate}: C[{index / n},{index % n}] = {actual}, " +
                                $"expected {expected[index]} ± {bounds[index]}.");
            }
        }
    }

    /// <summary>Uniform in [-1, 1], never exactly zero.</summary>
    private static T[] RandomValues<T>(Random random, int count) where T : IFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            T value;
            do value = T.CreateTruncating(2 * random.NextDouble() - 1);
            while (T.IsZero(value));
            values[i] = value;
        }
        return values;
    }
}
