using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Dsl;

/// <summary>Where a network runs.</summary>
public enum DeviceKind
{
    /// <summary>CUDA if present, else an OpenCL GPU, else the SIMD CPU path.</summary>
    Auto,
    /// <summary>The SIMD C# CPU path (the fast one on a machine without a GPU).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda,
    /// <summary>An OpenCL device through ILGPU.</summary>
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: a debugging simulator of the GPU kernels, hundreds of times slower.</summary>
    IlgpuCpu,
}

/// <summary>Thrown when an explicitly requested device cannot be opened.</summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An opened compute device: either the CPU path (no accelerator) or an ILGPU context with one accelerator.
/// Disposing it releases the accelerator and the context.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    private readonly Context? _context;

    private ComputeDevice(DeviceKind kind, Context? context, Accelerator? accelerator)
    {
        Kind = kind;
        _context = context;
        Accelerator = accelerator;
    }

    /// <summary>The kind actually opened (never <see cref="DeviceKind.Auto"/>).</summary>
    public DeviceKind Kind { get; }

    /// <summary>The ILGPU accelerator, or null for the SIMD CPU path.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>Human-readable name, for progress lines.</summary>
    public string Name => Accelerator is null ? $"CPU (SIMD, {Environment.ProcessorCount} threads)" : $"{Kind}: {Accelerator.Name}";

    /// <summary>The SIMD CPU path.</summary>
    public static ComputeDevice Cpu() => new(DeviceKind.Cpu, null, null);

    /// <summary>
    /// Opens <paramref name="kind"/>. <see cref="DeviceKind.Auto"/> prefers CUDA, then an OpenCL GPU, then the CPU path,
    /// and falls back to the CPU with a message through <paramref name="log"/> when a GPU fails to initialise; an
    /// explicitly requested device that is missing or fails throws <see cref="DeviceUnavailableException"/>.
    /// </summary>
    public static ComputeDevice Open(DeviceKind kind, Action<string>? log = null)
    {
        switch (kind)
        {
            case DeviceKind.Cpu:
                return Cpu();
            case DeviceKind.Auto:
                try
                {
                    return TryOpenGpu(DeviceKind.Cuda) ?? TryOpenGpu(DeviceKind.OpenCL) ?? Cpu();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    log?.Invoke($"GPU initialisation failed ({e.GetType().Name}: {e.Message}); using the CPU path instead.");
                    return Cpu();
                }
            case DeviceKind.Cuda or DeviceKind.OpenCL:
                try
                {
                    return TryOpenGpu(kind) ?? throw new DeviceUnavailableException(
                        $"No {kind} device found. Use --device cpu (or auto) to run on the CPU.");
                }
                catch (Exception e) when (e is not DeviceUnavailableException and not OutOfMemoryException)
                {
                    throw new DeviceUnavailableException($"The {kind} device failed to initialise: {e.Message}", e);
                }
            case DeviceKind.IlgpuCpu:
                var context = Context.Create(builder => builder.CPU().EnableAlgorithms());
                return new ComputeDevice(kind, context, context.CreateCPUAccelerator(0));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind.");
        }
    }

    private static ComputeDevice? TryOpenGpu(DeviceKind kind)
    {
        var context = Context.Create(builder =>
        {
            if (kind == DeviceKind.Cuda) builder.Cuda(); else builder.OpenCL();
            builder.EnableAlgorithms();
        });
        try
        {
            Device? device = null;
            if (kind == DeviceKind.Cuda)
                foreach (CudaDevice cuda in context.GetCudaDevices()) { device = cuda; break; }
            else
                foreach (CLDevice cl in context.GetCLDevices())
                    // An OpenCL CPU driver would be slower than the SIMD path: take GPUs only.
                    if (cl.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU) { device = cl; break; }
            if (device is null) { context.Dispose(); return null; }
            return new ComputeDevice(kind, context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Parses a --device value: auto, cpu, cuda, opencl or ilgpu-cpu.</summary>
    public static DeviceKind ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "auto" => DeviceKind.Auto,
        "cpu" => DeviceKind.Cpu,
        "cuda" => DeviceKind.Cuda,
        "opencl" => DeviceKind.OpenCL,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        _ => throw new ArgumentException($"Unknown device '{text}': expected auto, cpu, cuda, opencl or ilgpu-cpu."),
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator?.Dispose();
        _context?.Dispose();
    }
}
