//! `--invoke` on a component, as the Wasmtime CLI does it: the call is
//! written in WAVE (the WebAssembly Value Encoding), `name(arg, ...)`, the
//! function is found by name among the component's exports (top-level, or
//! in an exported interface), and its results are printed in WAVE.

use crate::sandbox::{ended, Exit, Outcome, Sandbox};
use anyhow::{bail, Context as _};
use wasm_wave::untyped::UntypedFuncCall;
use wasm_wave::wasm::{DisplayFuncResults, WasmFunc};
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, Val};

/// Calls the export named in `call` (a WAVE call expression; a bare name
/// with no parentheses calls it with no arguments).
pub(crate) fn invoke_component(
    sandbox: Sandbox,
    component: Component,
    call: &str,
    extra_args: &[String],
) -> anyhow::Result<Outcome> {
    if !extra_args.is_empty() {
        bail!("a component's --invoke takes its arguments in the call itself, in WAVE: --invoke 'name(arg1, arg2)'");
    }
    let expr = if call.contains('(') {
        call.to_owned()
    } else {
        format!("{call}()")
    };
    let call = UntypedFuncCall::parse(&expr)
        .map_err(|e| anyhow::anyhow!("--invoke `{expr}` is not a WAVE call: {e}"))?;
    let name = call.name().to_owned();
    let engine = sandbox.engine.clone();
    let found = export_funcs(&engine, &component)
        .into_iter()
        .filter(|(path, _)| path.last().is_some_and(|n| *n == name))
        .collect::<Vec<_>>();
    let (path, ty) = match found.as_slice() {
        [] => bail!("the component exports no function named `{name}`"),
        [one] => one.clone(),
        many => bail!(
            "more than one export is named `{name}`: {}",
            many.iter()
                .map(|(p, _)| p.join("#"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let param_types: Vec<_> = WasmFunc::params(&ty).collect();
    let params: Vec<Val> = call
        .to_wasm_params(&param_types)
        .map_err(|e| anyhow::anyhow!("--invoke `{expr}`: {e}"))?;
    let mut index = None;
    for step in &path {
        index = Some(
            component
                .get_export_index(index.as_ref(), step)
                .with_context(|| format!("the export `{step}` disappeared"))?,
        );
    }
    let index = index.context("an export has a name")?;
    let linker = sandbox.component_linker()?;
    let mut store = sandbox.store()?;
    let instance = match linker.instantiate(&mut store, &component) {
        Ok(i) => i,
        Err(e) => return Ok(ended(e)),
    };
    let func = instance
        .get_func(&mut store, index)
        .with_context(|| format!("`{}` is not a function", path.join("#")))?;
    let mut results = vec![Val::Bool(false); ty.results().len()];
    if let Err(e) = func.call(&mut store, &params, &mut results) {
        return Ok(ended(e));
    }
    Ok(Outcome {
        exit: Exit::Status(0),
        results: Vec::new(),
        wave_results: Some(DisplayFuncResults(&results).to_string()),
    })
}

/// Every exported function: its path of export names and its type.
fn export_funcs(
    engine: &wasmtime::Engine,
    component: &Component,
) -> Vec<(Vec<String>, ComponentFunc)> {
    let mut out = Vec::new();
    for (name, item) in component.component_type().exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(f) => out.push((vec![name.to_owned()], f)),
            ComponentItem::ComponentInstance(inst) => {
                for (fname, fitem) in inst.exports(engine) {
                    if let ComponentItem::ComponentFunc(f) = fitem.ty {
                        out.push((vec![name.to_owned(), fname.to_owned()], f));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
