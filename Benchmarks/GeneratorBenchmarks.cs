using BenchmarkDotNet.Attributes;
using Dsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dsl.Benchmarks;

/// <summary>
/// The source generator itself on the example networks: a fresh driver over a compilation of one declaration, as the
/// IDE's first run on a file; and the same driver run again after an edit elsewhere in the file, which the
/// incremental pipeline should answer from its cache.
/// <c>dotnet run -c Release --project Benchmarks -- --filter '*GeneratorBenchmarks*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly Dictionary<string, string> Declarations = new()
    {
        ["mlp"] = "[Input(784)] [Dense(500, Tanh)] [Dense(10, Softmax)]",
        ["lenet5"] = "[Input(1, 28, 28)] [Conv(5, 5, 20, Tanh)] [MaxPool(2)] [Conv(5, 5, 50, Tanh)] [MaxPool(2)] [Dense(500, Tanh)] [Dense(10, Softmax)]",
        ["dbn"] = "[Input(784)] [Rbm(1000)] [Rbm(1000)] [Rbm(1000)] [Dense(10, Softmax)]",
    };

    private CSharpCompilation _compilation = null!, _edited = null!;
    private GeneratorDriver _warmDriver = null!;

    [Params("mlp", "lenet5", "dbn")]
    public string Network { get; set; } = "lenet5";

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(path) == "netstandard.dll")
            .Append(typeof(InputAttribute).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        string Source(string comment) =>
            $"using Dsl;\nusing static Dsl.Activation;\n\nnamespace Bench;\n\n{Declarations[Network]}\npublic partial class Net {{ }}\n// {comment}\n";
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        _compilation = CSharpCompilation.Create("Bench", [CSharpSyntaxTree.ParseText(Source("first"), options)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _edited = _compilation.ReplaceSyntaxTree(_compilation.SyntaxTrees[0], CSharpSyntaxTree.ParseText(Source("edited"), options));
        _warmDriver = NewDriver().RunGenerators(_compilation);
        if (FirstRun().GetRunResult().Results.Single().GeneratedSources.Length != 1)
            throw new InvalidOperationException("The generator produced no network for the benchmark's declaration.");
    }

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));

    [Benchmark]
    public GeneratorDriver FirstRun() => NewDriver().RunGenerators(_compilation);

    [Benchmark]
    public GeneratorDriver RunAfterAnEdit() => _warmDriver.RunGenerators(_edited);
}
