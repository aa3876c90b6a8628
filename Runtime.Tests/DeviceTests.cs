using Xunit;

namespace Dsl.Tests;

/// <summary>Opening devices: Auto falls back to the CPU path with a message when a GPU fails; an explicitly requested
/// device that fails throws naming the device and the cause. The GPUs are simulated by a failing opener.</summary>
public sealed class DeviceTests
{
    private sealed class DriverCrash() : Exception("cuInit returned CUDA_ERROR_NO_DEVICE (driver 999)");

    private static ComputeDevice? Failing(DeviceKind kind) => throw new DriverCrash();

    private static ComputeDevice? Missing(DeviceKind kind) => null;

    [Fact]
    public void Auto_falls_back_to_the_cpu_path_with_a_message_when_every_gpu_fails()
    {
        var log = new List<string>();
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.Auto, log.Add, Failing);

        Assert.Equal(DeviceKind.Cpu, device.Kind);
        Assert.Null(device.Accelerator);
        string message = Assert.Single(log);
        Assert.StartsWith("The Cuda GPU failed to initialise (DriverCrash: cuInit returned CUDA_ERROR_NO_DEVICE (driver 999))", message);
        Assert.Contains("the OpenCL GPU failed to initialise (DriverCrash", message);
        Assert.EndsWith("; using the CPU path instead.", message);
    }

    [Fact]
    public void Auto_goes_on_to_opencl_when_cuda_fails_and_says_so()
    {
        var log = new List<string>();
        var opened = new List<DeviceKind>();
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.Auto, log.Add, kind =>
        {
            opened.Add(kind);
            return kind == DeviceKind.Cuda ? throw new DriverCrash() : ComputeDevice.Cpu(); // stands in for an OpenCL device
        });

        Assert.Equal([DeviceKind.Cuda, DeviceKind.OpenCL], opened);
        Assert.Equal("The Cuda GPU failed to initialise (DriverCrash: cuInit returned CUDA_ERROR_NO_DEVICE (driver 999)); using OpenCL instead.",
            Assert.Single(log));
    }

    [Fact]
    public void Auto_without_any_gpu_takes_the_cpu_path_silently()
    {
        var log = new List<string>();
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.Auto, log.Add, Missing);

        Assert.Equal(DeviceKind.Cpu, device.Kind);
        Assert.Empty(log);
    }

    [Theory]
    [InlineData(DeviceKind.Cuda)]
    [InlineData(DeviceKind.OpenCL)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void An_explicit_device_that_fails_throws_naming_the_device_and_the_cause(DeviceKind kind)
    {
        var log = new List<string>();
        var error = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Open(kind, log.Add, Failing));

        Assert.Equal($"The {kind} device failed to initialise (DriverCrash: cuInit returned CUDA_ERROR_NO_DEVICE (driver 999)). " +
                     "Use --device cpu (or auto) to run on the CPU.", error.Message);
        Assert.IsType<DriverCrash>(error.InnerException);
        Assert.Empty(log); // no silent fallback
    }

    [Theory]
    [InlineData(DeviceKind.Cuda)]
    [InlineData(DeviceKind.OpenCL)]
    public void An_explicit_device_that_is_missing_throws_naming_it(DeviceKind kind)
    {
        var error = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Open(kind, null, Missing));
        Assert.Equal($"No {kind} device found. Use --device cpu (or auto) to run on the CPU.", error.Message);
    }

    [Fact]
    public void The_real_openers_work_on_this_machine_or_fail_cleanly()
    {
        // Whatever GPUs the machine has, Auto opens something and an ILGPU CPU device opens and releases everything.
        using (ComputeDevice auto = ComputeDevice.Open(DeviceKind.Auto)) Assert.NotEqual(DeviceKind.Auto, auto.Kind);
        ComputeDevice simulator = ComputeDevice.Open(DeviceKind.IlgpuCpu);
        Assert.NotNull(simulator.Accelerator);
        simulator.Dispose();
        Assert.True(simulator.IsReleased);
    }
}
