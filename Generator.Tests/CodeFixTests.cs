using System.Collections.Immutable;
using Dsl.Generator.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// The code fixes for DSL0001 and DSL0002, driven by hand in an AdhocWorkspace: the diagnostics come from running the
/// real generator on the workspace's compilation (no stand-in analyzer), the fix is applied, and the generator then
/// runs again on the fixed code, which must compile with no diagnostic at all.
/// </summary>
public sealed class CodeFixTests
{
    private const string Usings = "using Dsl;\nusing static Dsl.Activation;\n\n";

    [Fact]
    public Task DSL0001_AddsPartial_BeforeTheKeyword_AfterOtherModifiers() => VerifyAsync("DSL0001", NetworkCodeFixProvider.AddPartialKey,
        Usings + "[Input(784)]\n[Dense(10, Softmax)]\npublic sealed class Net { }\n",
        Usings + "[Input(784)]\n[Dense(10, Softmax)]\npublic sealed partial class Net { }\n",
        "Make 'Net' partial");

    [Fact]
    public Task DSL0001_AddsPartial_WhenThereAreNoModifiers_KeepingTheIndentation() => VerifyAsync("DSL0001", NetworkCodeFixProvider.AddPartialKey,
        Usings + "namespace N\n{\n    [Input(784)]\n    [Dense(10, Softmax)]\n    class Net { }\n}\n",
        Usings + "namespace N\n{\n    [Input(784)]\n    [Dense(10, Softmax)]\n    partial class Net { }\n}\n",
        "Make 'Net' partial");

    [Fact]
    public Task DSL0001_AddsPartial_ToARecord() => VerifyAsync("DSL0001", NetworkCodeFixProvider.AddPartialKey,
        Usings + "[Input(784)] [Dense(10, Softmax)] record Net;\n",
        Usings + "[Input(784)] [Dense(10, Softmax)] partial record Net;\n",
        "Make 'Net' partial");

    [Fact]
    public async Task DSL0001_AddsPartial_ToEveryDeclarationThatLacksIt_InEveryDocument()
    {
        string[] fixedSources = await FixAsync("DSL0001", NetworkCodeFixProvider.AddPartialKey,
            Usings + "[Input(784)] [Dense(10, Softmax)]\npartial class Net { }\n",
            "class Net { public int Extra => 1; }\n");
        Assert.Equal(Usings + "[Input(784)] [Dense(10, Softmax)]\npartial class Net { }\n", fixedSources[0]);
        Assert.Equal("partial class Net { public int Extra => 1; }\n", fixedSources[1]);
    }

    [Fact]
    public Task DSL0002_AddsAFlatInput_OnItsOwnLine_BeforeAFirstDense() => VerifyAsync("DSL0002", NetworkCodeFixProvider.AddFlatInputKey,
        Usings + "[Dense(500, Tanh)]\n[Dense(10, Softmax)]\npartial class Net { }\n",
        Usings + "[Input(784)]\n[Dense(500, Tanh)]\n[Dense(10, Softmax)]\npartial class Net { }\n",
        "Add [Input(784)] before the first layer (784 values per image is MNIST's size: change it to your data's)",
        "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)");

    [Fact]
    public Task DSL0002_OffersAnImageInputToo_BeforeADense() => VerifyAsync("DSL0002", NetworkCodeFixProvider.AddImageInputKey,
        Usings + "namespace N\n{\n    [Dense(500, Tanh)] [Dense(10, Softmax)]\n    public partial class Net { }\n}\n",
        Usings + "namespace N\n{\n    [Input(1, 28, 28)] [Dense(500, Tanh)] [Dense(10, Softmax)]\n    public partial class Net { }\n}\n",
        "Add [Input(784)] before the first layer (784 values per image is MNIST's size: change it to your data's)",
        "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)");

    [Fact]
    public Task DSL0002_OffersOnlyAnImageInput_BeforeAConvolution() => VerifyAsync("DSL0002", NetworkCodeFixProvider.AddImageInputKey,
        Usings + "    [Conv(5, 5, 20, Tanh)]\n    [MaxPool(2)]\n    [Dense(10, Softmax)]\n    partial class Net { }\n",
        Usings + "    [Input(1, 28, 28)]\n    [Conv(5, 5, 20, Tanh)]\n    [MaxPool(2)]\n    [Dense(10, Softmax)]\n    partial class Net { }\n",
        "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)");

    [Fact]
    public Task DSL0002_NamesInputAsTheLayerIsNamed() => VerifyAsync("DSL0002", NetworkCodeFixProvider.AddFlatInputKey,
        "[Dsl.Dense(10, Dsl.Activation.Softmax)]\npartial class Net { }\n",
        "[Dsl.Input(784)]\n[Dsl.Dense(10, Dsl.Activation.Softmax)]\npartial class Net { }\n",
        "Add [Input(784)] before the first layer (784 values per image is MNIST's size: change it to your data's)",
        "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)");

    [Fact]
    public Task DSL0002_KeepsCrLfLineEndings() => VerifyAsync("DSL0002", NetworkCodeFixProvider.AddFlatInputKey,
        Usings.Replace("\n", "\r\n") + "[Dense(10, Softmax)]\r\npartial class Net { }\r\n",
        Usings.Replace("\n", "\r\n") + "[Input(784)]\r\n[Dense(10, Softmax)]\r\npartial class Net { }\r\n",
        "Add [Input(784)] before the first layer (784 values per image is MNIST's size: change it to your data's)",
        "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)");

    [Fact]
    public void FixesExactlyTheTwoDiagnostics_WithTheGeneratorsIds()
    {
        Assert.Equal(["DSL0001", "DSL0002"], new NetworkCodeFixProvider().FixableDiagnosticIds.ToArray());
        Assert.Equal("DSL0001", TestCompilation.Descriptor(NetworkCodeFixProvider.NotPartialId).Id);
        Assert.Equal("DSL0002", TestCompilation.Descriptor(NetworkCodeFixProvider.MissingInputId).Id);
    }

    /// <summary>Fixes <paramref name="before"/> with the fix <paramref name="key"/>, expects <paramref name="after"/>
    /// and exactly <paramref name="titles"/> offered, and checks that the fixed code compiles with no diagnostic.</summary>
    private static async Task VerifyAsync(string id, string key, string before, string after, params string[] titles)
    {
        string[] fixedSources = await FixAsync(id, key, titles, before);
        Assert.Equal(after, fixedSources[0]);
    }

    private static Task<string[]> FixAsync(string id, string key, params string[] sources) => FixAsync(id, key, null, sources);

    private static async Task<string[]> FixAsync(string id, string key, string[]? titles, params string[] sources)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        Solution solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Test", "Test",
            LanguageNames.CSharp, compilationOptions: TestCompilation.CompilationOptions, parseOptions: TestCompilation.ParseOptions,
            metadataReferences: TestCompilation.References));
        var documentIds = sources.Select((_, i) => DocumentId.CreateNewId(projectId, $"Source{i}.cs")).ToArray();
        for (int i = 0; i < sources.Length; i++)
            solution = solution.AddDocument(documentIds[i], $"Source{i}.cs", SourceText.From(sources[i]), filePath: $"/src/Source{i}.cs");

        Project project = solution.GetProject(projectId)!;
        Diagnostic diagnostic = Assert.Single(await GeneratorDiagnosticsAsync(project), d => d.Id == id);
        // The generator reports locations by file path and span (it keeps no syntax trees between runs), as the IDE
        // sees them: find the document by its path.
        Document document = solution.GetDocument(Assert.Single(solution.GetDocumentIdsWithFilePath(diagnostic.Location.GetLineSpan().Path)))!;
        var actions = new List<CodeAction>();
        await new NetworkCodeFixProvider().RegisterCodeFixesAsync(
            new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        if (titles is not null)
            Assert.Equal(titles, actions.Select(a => a.Title));
        CodeAction fix = Assert.Single(actions, a => a.EquivalenceKey == key);
        ImmutableArray<CodeActionOperation> operations = await fix.GetOperationsAsync(CancellationToken.None);
        Solution changed = Assert.IsType<ApplyChangesOperation>(Assert.Single(operations)).ChangedSolution;

        // The fixed code: no diagnostic from the generator, no error or warning from the compiler.
        Project fixedProject = changed.GetProject(projectId)!;
        Assert.Empty(await GeneratorDiagnosticsAsync(fixedProject));
        Compilation compilation = (await fixedProject.GetCompilationAsync())!;
        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));

        return await Task.WhenAll(documentIds.Select(async d => (await changed.GetDocument(d)!.GetTextAsync()).ToString()));
    }

    private static async Task<ImmutableArray<Diagnostic>> GeneratorDiagnosticsAsync(Project project)
    {
        Compilation compilation = (await project.GetCompilationAsync())!;
        return TestCompilation.CreateDriver().RunGenerators(compilation).GetRunResult().Diagnostics;
    }
}
