using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// The generated code compiles cleanly in a strict consumer: nullable enabled, every warning wave, XML documentation
/// checked, against the real framework, Dsl.Runtime and ILGPU; and the generator reports nothing and throws nothing.
/// Runs the generator directly (CSharpGeneratorDriver), then emits the whole compilation.
/// </summary>
public sealed class GeneratedCodeCompilesTests
{
    /// <summary>Every network here, with the file it must produce.</summary>
    private static readonly (string Source, string[] HintNames)[] Networks =
    {
        (Sources.LogisticRegression, new[] { Sources.LogisticRegressionHintName }),
        (Sources.Mlp, new[] { Sources.MlpHintName }),
        (Sources.ImageMlp, new[] { "Vision.ImageMlp.g.cs" }),
        (Sources.GlobalNamespace, new[] { "GlobalNet.g.cs" }),
        (Sources.Internal, new[] { "Hidden.Nets.Xor.g.cs" }),
        (Sources.LeNet5, new[] { Sources.LeNet5HintName }),
        (Sources.ConvVariety, new[] { "Vision.Conv.Cifar.g.cs", "Vision.Conv.PoolFirst.g.cs" }),
    };

    /// <summary>A consumer project with the SDK's implicit global usings (the default, and what Examples/ has).</summary>
    [Fact]
    public void AllNetworks_CompileWithoutWarnings_WithImplicitUsings() =>
        AssertCompilesCleanly(Networks.Sum(n => n.HintNames.Length), Networks.Select(n => n.Source).Append(Sources.ImplicitUsings).ToArray());

    /// <summary>
    /// A consumer with ImplicitUsings disabled: the generated file has to stand on its own (global:: everywhere).
    /// </summary>
    [Fact]
    public void AllNetworks_CompileWithoutWarnings_WithoutImplicitUsings() =>
        AssertCompilesCleanly(Networks.Sum(n => n.HintNames.Length), Networks.Select(n => n.Source).ToArray());

    /// <summary>C# keywords escaped with @ are legal names; the hint name and the emitted code must cope with them.</summary>
    [Fact]
    public void KeywordNamespace_EscapedWithAt_GeneratesCompilableCode() => AssertCompilesCleanly(1, """
        using Dsl;

        namespace Nets.@event;

        /// <summary>A network in a namespace whose last part is a keyword.</summary>
        [Input(4)]
        [Dense(2, Activation.Softmax)]
        public partial class Net { }
        """);

    [Fact]
    public void KeywordClassName_EscapedWithAt_GeneratesCompilableCode() => AssertCompilesCleanly(1, """
        using Dsl;

        namespace Nets;

        /// <summary>A network whose name is a keyword.</summary>
        [Input(4)]
        [Dense(2, Activation.Softmax)]
        public partial class @event { }
        """);

    [Fact]
    public void RecordClass_GeneratesCompilableCode() => AssertCompilesCleanly(1, """
        using Dsl;

        namespace Nets;

        /// <summary>A network declared as a record class.</summary>
        [Input(4)]
        [Dense(3, Activation.Softmax)]
        public partial record Net;
        """);

    [Fact]
    public void EachNetwork_GetsOneFileNamedAfterItsFullName()
    {
        GeneratorRunResult result = TestCompilation.Run(Networks.Select(n => n.Source).ToArray());
        Assert.Null(result.Exception);
        Assert.Equal(Networks.SelectMany(n => n.HintNames).Order(), result.GeneratedSources.Select(s => s.HintName).Order());
    }

    private static void AssertCompilesCleanly(int expectedFiles, params string[] sources)
    {
        var parseOptions = TestCompilation.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        CSharpCompilation input = TestCompilation.Create(parseOptions, sources);
        var ownProblems = input.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(ownProblems.Count == 0, "the test's own sources must be clean:\n" + string.Join("\n", ownProblems.Select(Describe)));

        GeneratorDriver driver = TestCompilation.CreateDriver(parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Assert.True(result.Exception is null, $"the generator threw: {result.Exception}");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(driverDiagnostics);
        Assert.Equal(expectedFiles, result.GeneratedSources.Length);

        // Emit, not only GetDiagnostics: some errors appear only when method bodies are lowered.
        using var assembly = new MemoryStream();
        var emit = output.Emit(assembly);
        var problems = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0 && emit.Success,
            $"{problems.Count} warning(s)/error(s) in the generated code:\n" + string.Join("\n", problems.Select(Describe)));
    }

    /// <summary>The diagnostic with the generated line it points at, so a failure can be read without a debugger.</summary>
    private static string Describe(Diagnostic d)
    {
        string line = d.Location.SourceTree is { } tree
            ? tree.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim()
            : string.Empty;
        return $"{d}\n    {line}";
    }
}
