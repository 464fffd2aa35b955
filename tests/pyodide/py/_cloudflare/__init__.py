"""A stand-in for workerd's `_cloudflare` package: only what the workers SDK's import patches use.

The SDK's `.pth` loader (`_workers_sdk_patch_loader`) imports its entropy and package patches when
`_cloudflare` can be found; workerd ships that package inside its Python runtime. These two modules
give the patches the same effect here: `allow_entropy` (a budget of entropy calls a module may make
while it is imported) and `import_patch_manager` (the meta-path hook that runs each registered
module's import inside its patch). Written for this harness from the behaviour the SDK relies on.
"""
