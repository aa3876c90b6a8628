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
    /// and when a GPU fails to initialise goes on to the next one, saying why through <paramref name="log"/>; an
    /// explicitly requested device that is missing or fails throws <see cref="DeviceUnavailableException"/> naming the
    /// device and the cause.
    /// </summary>
    public static ComputeDevice Open(DeviceKind kind, Action<string>? log = null) => Open(kind, log, OpenAccelerator);

    /// <summary>As <see cref="Open(DeviceKind, Action{string}?)"/>, opening the ILGPU devices through
    /// <paramref name="openAccelerator"/> (null: none of that kind present); tests pass one that fails.</summary>
    internal static ComputeDevice Open(DeviceKind kind, Action<string>? log, Func<DeviceKind, ComputeDevice?> openAccelerator)
    {
        switch (kind)
        {
            case DeviceKind.Cpu:
                return Cpu();
            case DeviceKind.Auto:
                var failures = new List<string>();
                foreach (DeviceKind gpu in (ReadOnlySpan<DeviceKind>)[DeviceKind.Cuda, DeviceKind.OpenCL])
                {
                    ComputeDevice? opened;
                    try { opened = openAccelerator(gpu); }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        failures.Add($"the {gpu} GPU failed to initialise ({Cause(e)})");
                        continue;
                    }
                    if (opened is null) continue;
                    if (failures.Count > 0) log?.Invoke($"{Capitalise(string.Join("; ", failures))}; using {gpu} instead.");
                    return opened;
                }
                if (failures.Count > 0) log?.Invoke($"{Capitalise(string.Join("; ", failures))}; using the CPU path instead.");
                return Cpu();
            case DeviceKind.Cuda or DeviceKind.OpenCL or DeviceKind.IlgpuCpu:
                ComputeDevice? device;
                try
                {
                    device = openAccelerator(kind);
                }
                catch (Exception e) when (e is not DeviceUnavailableException and not OutOfMemoryException)
                {
                    throw new DeviceUnavailableException(
                        $"The {kind} device failed to initialise ({Cause(e)}). Use --device cpu (or auto) to run on the CPU.", e);
                }
                return device ?? throw new DeviceUnavailableException($"No {kind} device found. Use --device cpu (or auto) to run on the CPU.");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind.");
        }
    }

    private static string Cause(Exception e) => $"{e.GetType().Name}: {e.Message}";

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>Opens an ILGPU device of <paramref name="kind"/>; null if there is none.</summary>
    private static ComputeDevice? OpenAccelerator(DeviceKind kind) => kind switch
    {
        DeviceKind.IlgpuCpu => OpenIlgpuCpu(),
        _ => TryOpenGpu(kind),
    };

    private static ComputeDevice OpenIlgpuCpu()
    {
        var context = Context.Create(builder => builder.CPU().EnableAlgorithms());
        try
        {
            return new ComputeDevice(DeviceKind.IlgpuCpu, context, context.CreateCPUAccelerator(0));
        }
        catch
        {
            context.Dispose();
            throw;
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

    /// <summary>Whether the accelerator and the ILGPU context (if any) have been released.</summary>
    internal bool IsReleased => (Accelerator?.IsDisposed ?? true) && (_context?.IsDisposed ?? true);

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator?.Dispose();
        _context?.Dispose();
    }
}
