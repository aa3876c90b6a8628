using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Runs the benchmarks chosen on the command line, e.g. `dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'
// --job short`. In-process: BenchmarkDotNet's default toolchain rebuilds the project in a child process and finds it by
// the assembly's name, which here (Dsl.Benchmarks) is not the project file's (Benchmarks.csproj).
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
