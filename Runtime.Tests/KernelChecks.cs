using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Dsl.Tests;

/// <summary>What the kernel tests check alike: results against the CPU path, and compilation to PTX.</summary>
internal static class KernelChecks
{
    /// <summary>Equal up to float round-off: summation orders differ (blocked SIMD on the CPU, one sequential loop per
    /// kernel thread), nothing more.</summary>
    public static bool Close(float a, float b) => Math.Abs(a - b) <= 1e-5f + 1e-4f * Math.Max(Math.Abs(a), Math.Abs(b));

    /// <summary>Every element <see cref="Close"/>, or a failure naming the first that is not.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Close(expected[i], actual[i]), $"{what}[{i}]: CPU {expected[i]:E6}, kernel {actual[i]:E6}");
    }

    /// <summary>The CPU accelerator runs kernels as .NET code; this puts one through ILGPU's compiler to PTX (no GPU
    /// needed), which refuses what a real GPU could not run.</summary>
    public static void AssertCompilesToPtx(MethodInfo kernel)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_70, CudaInstructionSet.ISA_70, nvvmAPI: null!);
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        Assert.Contains(".entry", compiled.PTXAssembly);
    }
}
