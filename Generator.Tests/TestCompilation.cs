using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// What every test compiles against, built once per test run: the shared framework the test host runs on (from its
/// TRUSTED_PLATFORM_ASSEMBLIES; the testing package's downloadable reference packs are not served here) plus
/// Dsl.Runtime and its dependencies from the test output folder. Also helpers that run the generator directly.
/// </summary>
internal static class TestCompilation
{
    /// <summary>The runtime library and what its public surface (hence the generated code) needs.</summary>
    private static readonly string[] RuntimeAssemblies =
        { "Dsl.Runtime.dll", "ILGPU.dll", "ILGPU.Algorithms.dll", "System.Numerics.Tensors.dll" };

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpParseOptions ParseOptions { get; } =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>Strict options: nullable on, every warning wave, as a consuming project with warnings-as-errors.</summary>
    public static CSharpCompilationOptions CompilationOptions { get; } =
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithWarningLevel(9999)
            .WithDeterministic(true);

    /// <summary>
    /// A compilation without sources. Derive every test compilation from it (AddSyntaxTrees): derived compilations
    /// share its bound references, which keeps hundreds of generator runs fast.
    /// </summary>
    private static readonly Lazy<CSharpCompilation> LazyEmpty = new(() =>
    {
        var empty = CSharpCompilation.Create("Dsl.Generator.Tests.Input", references: References, options: CompilationOptions);
        _ = empty.GetTypeByMetadataName("Dsl.InputAttribute") ?? throw new InvalidOperationException("Dsl.Runtime is not referenced");
        return empty;
    });

    public static CSharpCompilation Create(params string[] sources) => Create(ParseOptions, sources);

    public static CSharpCompilation Create(CSharpParseOptions parseOptions, params string[] sources) =>
        LazyEmpty.Value.AddSyntaxTrees(sources.Select((s, i) => Parse(s, $"/src/Source{i}.cs", parseOptions)).ToArray()); // once: trees are compared by identity

    public static SyntaxTree Parse(string source, string path, CSharpParseOptions? parseOptions = null) =>
        CSharpSyntaxTree.ParseText(source, parseOptions ?? ParseOptions, path);

    /// <summary>A driver for <see cref="NetworkGenerator"/>; step tracking on when incremental steps are inspected.</summary>
    public static GeneratorDriver CreateDriver(bool trackSteps = false, CSharpParseOptions? parseOptions = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            parseOptions: parseOptions ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once on <paramref name="sources"/> and returns its only result.</summary>
    public static GeneratorRunResult Run(params string[] sources) =>
        CreateDriver().RunGenerators(Create(sources)).GetRunResult().Results.Single();

    /// <summary>The text the generator produced for <paramref name="hintName"/>; fails when it threw or reported anything.</summary>
    public static string Generate(string source, string hintName)
    {
        GeneratorRunResult result = Run(source);
        Assert.Null(result.Exception);
        Assert.Empty(result.Diagnostics);
        GeneratedSourceResult generated = Assert.Single(result.GeneratedSources, s => s.HintName == hintName);
        return generated.SourceText.ToString();
    }

    /// <summary>The generator's descriptors by id, read by reflection (they are internal, and the generator project
    /// is not ours to give InternalsVisibleTo).</summary>
    public static DiagnosticDescriptor Descriptor(string id) => LazyDescriptors.Value[id];

    private static readonly Lazy<IReadOnlyDictionary<string, DiagnosticDescriptor>> LazyDescriptors = new(() =>
        (typeof(NetworkGenerator).Assembly.GetType("Dsl.Generator.DiagnosticDescriptors", throwOnError: true)!)
            .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToDictionary(d => d.Id));

    public static IReadOnlyCollection<string> DescriptorIds => LazyDescriptors.Value.Keys.ToList();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The shared framework: the TPA entries next to System.Private.CoreLib (the rest are test-only packages).
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
                     ?? throw new InvalidOperationException("TRUSTED_PLATFORM_ASSEMBLIES is not set");
        IEnumerable<string> framework = tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDirectory, StringComparison.OrdinalIgnoreCase));

        IEnumerable<string> runtime = RuntimeAssemblies.Select(name =>
        {
            string path = Path.Combine(AppContext.BaseDirectory, name);
            return File.Exists(path) ? path : throw new FileNotFoundException("Runtime dependency missing from the test output", path);
        });

        return framework.Concat(runtime)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}

/// <summary>
/// The testing package's generator test, pointed at <see cref="TestCompilation.References"/>. It reports compiler
/// warnings too, so a generator exception (CS8785, a warning) fails the test instead of passing unseen.
/// </summary>
internal sealed class GeneratorTest : CSharpSourceGeneratorTest<NetworkGenerator, DefaultVerifier>
{
    public GeneratorTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0"); // no package: the references come from below
        TestState.AdditionalReferences.AddRange(TestCompilation.References);
        CompilerDiagnostics = CompilerDiagnostics.Warnings;
    }

    protected override ParseOptions CreateParseOptions() => TestCompilation.ParseOptions;

    protected override CompilationOptions CreateCompilationOptions() => TestCompilation.CompilationOptions;

    /// <summary>An expected DSL diagnostic, with the generator's own descriptor so its message is checked too.</summary>
    public static DiagnosticResult Dsl(string id) => new(TestCompilation.Descriptor(id));
}
