using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator.CodeFixes
{
    /// <summary>
    /// Fixes for two of the generator's diagnostics: DSL0001 (the network class is not partial: add <c>partial</c> to
    /// every declaration of it) and DSL0002 (layers but no [Input]: add one before the first layer). The generator
    /// cannot know the data, so the [Input] it adds has MNIST's size, and the fix's title says to change it.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NetworkCodeFixProvider)), Shared]
    public sealed class NetworkCodeFixProvider : CodeFixProvider
    {
        /// <summary>The ids fixed here (from the generator's DiagnosticDescriptors).</summary>
        public const string NotPartialId = "DSL0001", MissingInputId = "DSL0002";

        /// <summary>Equivalence keys, one per kind of fix, so that Fix All applies the same choice everywhere.</summary>
        public const string AddPartialKey = "Dsl.AddPartial", AddFlatInputKey = "Dsl.AddInput.Flat", AddImageInputKey = "Dsl.AddInput.Image";

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(NotPartialId, MissingInputId);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (Diagnostic diagnostic in context.Diagnostics)
            {
                if (diagnostic.Id == NotPartialId)
                    RegisterAddPartial(context, root, diagnostic);
                else if (diagnostic.Id == MissingInputId)
                    RegisterAddInput(context, root, diagnostic);
            }
        }

        private static void RegisterAddPartial(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            // DSL0001 is reported on the class name.
            if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not TypeDeclarationSyntax declaration) return;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{declaration.Identifier.ValueText}' partial",
                    cancellationToken => AddPartialAsync(context.Document, declaration, cancellationToken), AddPartialKey),
                diagnostic);
        }

        /// <summary>Adds <c>partial</c> to every declaration of the class that lacks it, in whichever document.</summary>
        private static async Task<Solution> AddPartialAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            Solution solution = document.Project.Solution;
            SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            var declarations = model?.GetDeclaredSymbol(declaration, cancellationToken) is INamedTypeSymbol symbol
                ? symbol.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList()
                : new List<TypeDeclarationSyntax> { declaration };
            foreach (var group in declarations.Where(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword)).GroupBy(d => d.SyntaxTree))
            {
                DocumentId? id = solution.GetDocumentId(group.Key);
                if (id is null) continue; // a declaration outside the solution (generated, or metadata): nothing to edit
                SyntaxNode treeRoot = await group.Key.GetRootAsync(cancellationToken).ConfigureAwait(false);
                solution = solution.WithDocumentSyntaxRoot(id, treeRoot.ReplaceNodes(group, (_, d) => WithPartial(d)));
            }
            return solution;
        }

        /// <summary><c>partial</c> as the last modifier, right before <c>class</c> (or <c>record</c>), where C# wants
        /// it; it takes over the keyword's leading trivia when there were no modifiers before.</summary>
        private static TypeDeclarationSyntax WithPartial(TypeDeclarationSyntax declaration)
        {
            SyntaxToken keyword = declaration.Keyword;
            SyntaxToken partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return declaration.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(declaration.Modifiers.Add(partial));
        }

        private static void RegisterAddInput(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            // DSL0002 is reported on the class's first layer attribute.
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>() is not { } layer
                || layer.Parent is not AttributeListSyntax list || list.Parent is not TypeDeclarationSyntax)
                return;

            // A flat input suits a first Dense layer; convolution and pooling need an image (a flat one is DSL0021).
            bool needsImage = !RightmostName(layer.Name).StartsWith("Dense", System.StringComparison.Ordinal);
            if (!needsImage)
                context.RegisterCodeFix(CodeAction.Create(
                    "Add [Input(784)] before the first layer (784 values per image is MNIST's size: change it to your data's)",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(InsertInput(root, list, layer, 784))),
                    AddFlatInputKey), diagnostic);
            context.RegisterCodeFix(CodeAction.Create(
                "Add [Input(1, 28, 28)] before the first layer (1 channel of 28×28 is MNIST's shape: change it to your data's)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(InsertInput(root, list, layer, 1, 28, 28))),
                AddImageInputKey), diagnostic);
        }

        /// <summary>
        /// Puts a new <c>[Input(sizes)]</c> list before <paramref name="list"/>, named as the layer is (Dense, Dsl.Dense,
        /// …): on a line of its own, at the same indentation, when that list is on its own line, else on the same line.
        /// The new list takes over the old one's leading trivia (comments, blank lines); the old one keeps its
        /// indentation.
        /// </summary>
        private static SyntaxNode InsertInput(SyntaxNode root, AttributeListSyntax list, AttributeSyntax layer, params int[] sizes)
        {
            var arguments = sizes.Select(size => SyntaxFactory.AttributeArgument(
                SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(size))));
            AttributeSyntax input = SyntaxFactory.Attribute(InputName(layer.Name),
                SyntaxFactory.AttributeArgumentList(SyntaxFactory.SeparatedList(arguments)));
            AttributeListSyntax inputList = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(input)).NormalizeWhitespace();

            SyntaxTriviaList leading = list.GetLeadingTrivia();
            SyntaxTrivia? newLine = list.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).Cast<SyntaxTrivia?>().FirstOrDefault();
            var indentation = SyntaxFactory.TriviaList(leading.Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());
            inputList = newLine is { } eol
                ? inputList.WithLeadingTrivia(leading).WithTrailingTrivia(eol)
                : inputList.WithLeadingTrivia(leading).WithTrailingTrivia(SyntaxFactory.Space);
            AttributeListSyntax moved = list.WithLeadingTrivia(newLine is null ? SyntaxFactory.TriviaList() : indentation);
            return root.ReplaceNode(list, new SyntaxNode[] { inputList, moved });
        }

        private static string RightmostName(NameSyntax name) => name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => name.ToString(),
        };

        /// <summary>The layer attribute's name with its last part replaced by Input: Dense → Input, Dsl.Conv →
        /// Dsl.Input, global::Dsl.DenseAttribute → global::Dsl.Input.</summary>
        private static NameSyntax InputName(NameSyntax layerName)
        {
            SimpleNameSyntax input = SyntaxFactory.IdentifierName("Input");
            return layerName switch
            {
                QualifiedNameSyntax qualified => SyntaxFactory.QualifiedName(qualified.Left.WithoutTrivia(), input),
                AliasQualifiedNameSyntax alias => SyntaxFactory.AliasQualifiedName(alias.Alias.WithoutTrivia(), input),
                _ => input,
            };
        }
    }
}
