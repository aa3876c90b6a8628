using Dsl.Cpu;
using Dsl.Layers;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Dsl.Tests.Layers;

/// <summary>
/// Every kernel body of <see cref="Conv"/> and <see cref="MaxPool"/>, compiled by ILGPU and run on its CPU
/// accelerator at small sizes, against the CPU path on the same random data: forward outputs, dW with the L1/L2 terms
/// (against the CPU's dW plus <see cref="Regularization.AddGradient{T}(ReadOnlySpan{T}, Span{T}, T, T)"/>), db, dx with
/// the previous layer's activation derivative fused, and the pooling's outputs, argmax and gradient. Also checks that
/// ILGPU accepts the shape structs as kernel parameters.
/// </summary>
public sealed class LayerKernelTests : IDisposable
{
    private readonly ComputeDevice _device = ComputeDevice.Open(DeviceKind.IlgpuCpu);

    public void Dispose() => _device.Dispose();

    private Accelerator Accelerator => _device.Accelerator!;

    /// <summary>(C, H, W, F, kh, kw, stride, padding, count): padding, stride 2, a non-square kernel, odd sizes.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> ConvShapes => new()
    {
        { 2, 6, 6, 3, 3, 3, 1, 0, 2 },
        { 3, 7, 6, 4, 3, 2, 2, 1, 2 },
        { 1, 9, 9, 2, 5, 5, 1, 2, 2 },
        { 3, 5, 7, 2, 1, 1, 2, 0, 3 },
    };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv_kernels_match_the_cpu_path(int c, int h, int w, int f, int kh, int kw, int s, int p, int count)
    {
        var shape = new ConvShape(c, h, w, f, kh, kw, s, p);
        var random = new Random(Randomize.Seed(shape, count));
        var forward = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ConvShape, Activation>(Conv.ForwardKernel);
        var weightGradient = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, float, float, ConvShape>(Conv.WeightGradientKernel);
        var biasGradient = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, ConvShape>(
            Conv.BiasGradientKernel);
        var inputGradient = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ConvShape, Activation>(Conv.InputGradientKernel);
        var workspace = new ConvWorkspace<float>(shape, count);

        float[] weights = TestData.To<float>(TestData.Uniform(random, shape.WeightCount, -0.5, 0.5));
        float[] bias = TestData.To<float>(TestData.Uniform(random, shape.Filters, -0.5, 0.5));
        using var weightsBuffer = Accelerator.Allocate1D(weights);
        using var biasBuffer = Accelerator.Allocate1D(bias);
        foreach (Activation activation in new[] { Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu })
        {
            // x as the previous layer's output under the same activation, so its derivative is the one fused into dx.
            float[] x = TestData.Uniform(random, count * shape.InputSize, -2, 2).Select(v => Activations.Apply(activation, (float)v)).ToArray();
            float[] dz = TestData.To<float>(TestData.Uniform(random, count * shape.OutputSize));
            using var xBuffer = Accelerator.Allocate1D(x);
            using var dzBuffer = Accelerator.Allocate1D(dz);

            var expectedY = new float[count * shape.OutputSize];
            Conv.Forward<float>(x, weights, bias, expectedY, count, shape, activation, workspace);
            using var yBuffer = Accelerator.Allocate1D<float>(expectedY.Length);
            forward((int)yBuffer.Length, xBuffer.View, weightsBuffer.View, biasBuffer.View, yBuffer.View, shape, activation);

            const float l1 = 1e-3f, l2 = 2e-3f;
            var expectedDw = new float[shape.WeightCount];
            var expectedDb = new float[shape.Filters];
            var expectedDx = new float[x.Length];
            Conv.Backward<float>(x, weights, dz, expectedDw, expectedDb, expectedDx, count, shape, workspace);
            Regularization.AddGradient<float>(weights, expectedDw, l1, l2);
            Activations.Backward<float>(activation, x, expectedDx);
            using var dwBuffer = Accelerator.Allocate1D<float>(expectedDw.Length);
            using var dbBuffer = Accelerator.Allocate1D<float>(expectedDb.Length);
            using var dxBuffer = Accelerator.Allocate1D<float>(expectedDx.Length);
            weightGradient((int)dwBuffer.Length, xBuffer.View, dzBuffer.View, weightsBuffer.View, dwBuffer.View, count, l1, l2, shape);
            biasGradient(shape.Filters, dzBuffer.View, dbBuffer.View, count, shape);
            inputGradient((int)dxBuffer.Length, dzBuffer.View, weightsBuffer.View, xBuffer.View, dxBuffer.View, shape, activation);
            Accelerator.Synchronize();

            AssertClose(expectedY, yBuffer.GetAsArray1D(), $"{shape} {activation} y");
            AssertClose(expectedDw, dwBuffer.GetAsArray1D(), $"{shape} {activation} dW");
            AssertClose(expectedDb, dbBuffer.GetAsArray1D(), $"{shape} {activation} db");
            AssertClose(expectedDx, dxBuffer.GetAsArray1D(), $"{shape} {activation} dx");
        }
    }

    /// <summary>(C, H, W, size, stride, count).</summary>
    public static TheoryData<int, int, int, int, int, int> PoolShapes => new()
    {
        { 2, 6, 6, 2, 2, 2 },
        { 3, 7, 7, 2, 2, 2 },
        { 2, 9, 7, 3, 2, 2 },
        { 2, 7, 8, 3, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(PoolShapes))]
    public void MaxPool_kernels_match_the_cpu_path(int c, int h, int w, int size, int stride, int count)
    {
        var shape = new PoolShape(c, h, w, size, stride);
        var random = new Random(Randomize.Seed(shape, count));
        var forward = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolShape>(
            MaxPool.ForwardKernel);
        var backward = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, PoolShape, Activation>(MaxPool.BackwardKernel);

        foreach (Activation activation in new[] { Activation.Identity, Activation.Sigmoid, Activation.Tanh, Activation.Relu })
        {
            float[] x = TestData.Uniform(random, count * shape.InputSize, -2, 2).Select(v => Activations.Apply(activation, (float)v)).ToArray();
            float[] dy = TestData.To<float>(TestData.Uniform(random, count * shape.OutputSize));
            var expectedY = new float[dy.Length];
            var expectedArgmax = new int[dy.Length];
            MaxPool.Forward<float>(x, expectedY, expectedArgmax, count, shape);
            var expectedDx = new float[x.Length];
            MaxPool.Backward<float>(dy, expectedArgmax, x, expectedDx, count, shape, activation); // f' fused, as the kernel

            using var xBuffer = Accelerator.Allocate1D(x);
            using var dyBuffer = Accelerator.Allocate1D(dy);
            using var yBuffer = Accelerator.Allocate1D<float>(dy.Length);
            using var argmaxBuffer = Accelerator.Allocate1D<int>(dy.Length);
            using var dxBuffer = Accelerator.Allocate1D<float>(x.Length);
            forward(dy.Length, xBuffer.View, yBuffer.View, argmaxBuffer.View, shape);
            backward(x.Length, dyBuffer.View, argmaxBuffer.View, xBuffer.View, dxBuffer.View, shape, activation);
            Accelerator.Synchronize();

            Assert.Equal(expectedY, yBuffer.GetAsArray1D());
            Assert.Equal(expectedArgmax, argmaxBuffer.GetAsArray1D());
            // The kernel sums a shared maximum's gradients in window order like the CPU, then multiplies by f'.
            AssertClose(expectedDx, dxBuffer.GetAsArray1D(), $"{shape} {activation} dx");
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator runs kernels as .NET code, so passing above does not prove that the kernels go through
    /// ILGPU's compiler: this compiles each one to PTX (no GPU or driver needed), shape structs and all.
    /// </summary>
    [Theory]
    [InlineData(typeof(Conv), nameof(Conv.ForwardKernel))]
    [InlineData(typeof(Conv), nameof(Conv.WeightGradientKernel))]
    [InlineData(typeof(Conv), nameof(Conv.BiasGradientKernel))]
    [InlineData(typeof(Conv), nameof(Conv.InputGradientKernel))]
    [InlineData(typeof(MaxPool), nameof(MaxPool.ForwardKernel))]
    [InlineData(typeof(MaxPool), nameof(MaxPool.BackwardKernel))]
    public void Kernels_compile_to_ptx(Type type, string name) => KernelChecks.AssertCompilesToPtx(type.GetMethod(name)!);

    private static void AssertClose(float[] expected, float[] actual, string what) => KernelChecks.AssertClose(expected, actual, what);
}
