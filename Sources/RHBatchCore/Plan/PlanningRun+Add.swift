import Crypto
import YAML

/// Adding one combination's jobs to the plan, in named stages: fit (the prompt, the main input,
/// the fields and the params checked against the model), price and shape (what its jobs share),
/// identity (the job key, a persistence contract: see ``JobKeyTests``) and layout (each sample's
/// key and output path).
extension PlanningRun {
    /// What fitting a combination to its model found wrong, and which of its values the model
    /// does not take.
    struct FitProblems {
        var problems: [(message: String, mark: Mark, path: KeyPath)] = []
        var dropped: [String] = []
    }

    /// A combination fitted to its model: what its jobs are made of.
    struct FittedCombination {
        var prompt: PromptRef
        var input: ImageInput
        var fit: FieldFit
        var params: [Param]
        var dropped: [String]
    }

    mutating func add(_ combination: Combination) {
        guard let fitted = fit(combination), let layout else { return }
        let shape = shape(of: combination, fitted, layout: layout)
        var identity = identityPrefix(of: combination, fitted)
        if let use = combination.image, !fitted.input.sources.isEmpty {
            if let known = inputIdentity[use.input] {
                identity.update(text: known)
            } else {
                let part = Self.sourcesIdentity(fitted.input, media: [])
                inputIdentity[use.input] = part
                identity.update(text: part)
            }
        }
        if !fitted.fit.media.isEmpty {
            identity.update(text: Self.sourcesIdentity(ImageInput(id: "", sources: []), media: fitted.fit.media))
        }
        let names = safeNames(of: combination, fitted)
        for sample in 1...combination.samples {
            // The last sample finishes `identity` itself: one copy of the hash state fewer.
            let key: HexDigest
            if sample < combination.samples {
                var hasher = identity
                key = Self.finishKey(&hasher, sample: sample)
            } else {
                key = Self.finishKey(&identity, sample: sample)
            }
            place(
                key: key, sample: sample, combination: combination, fitted: fitted, shape: shape, layout: layout,
                names: names)
        }
    }

    // MARK: Fit

    /// The combination checked against its model; `nil` when it makes no job (an error was
    /// reported, or it was skipped with `--skip-invalid`).
    mutating func fit(_ combination: Combination) -> FittedCombination? {
        var combination = combination
        let spec = combination.model
        if let reason = spec.model.unsupported {
            report("\(spec.model.alias) cannot be run: \(reason)", at: spec.mark, path: spec.path)
            return nil
        }
        guard takePromptByVendorName(&combination) else { return nil }
        var found = FitProblems()
        guard let prompt = fitPrompt(combination, &found), let input = fitInput(combination, &found) else { return nil }
        let fit =
            combination.fit ?? fitFields(model: spec.model, options: combination.options, origin: combination.origin)
        if fit.stop { return nil }
        found.problems += fit.problems
        found.dropped += fit.dropped
        guard let params = checkParams(combination, &found) else { return nil }
        if !found.problems.isEmpty {
            skipOrReport(combination, found.problems, input: input, prompt: prompt)
            return nil
        }
        if found.dropped.count > 1 {
            let order = ["prompt", "image"] + ManifestDecoder.leadingFieldAxes
            found.dropped.sort { a, b in
                let ia = order.firstIndex(of: a) ?? order.count
                let ib = order.firstIndex(of: b) ?? order.count
                return ia != ib ? ia < ib : a < b
            }
        }
        return FittedCombination(prompt: prompt, input: input, fit: fit, params: params, dropped: found.dropped)
    }

    /// The model's prompt field set by its vendor name or snake_case spelling (`text: Good
    /// evening.` for a speech model, `text_prompt` for one whose field is `textPrompt`): that is
    /// the job's prompt. A job that also sets `prompt` (itself, not through `defaults`) sets one
    /// field twice: an error at the second name. `false` when reported.
    mutating func takePromptByVendorName(_ combination: inout Combination) -> Bool {
        // The model is read where it is held (here and below): a copy of its spec would be a copy a job.
        let modelUse = combination.model
        guard let field = modelUse.model.prompt, field.apiKey != "prompt" else { return true }
        for name in [field.apiKey, field.name] where name != "prompt" {
            guard let value = combination.options[name] else { continue }
            combination.options[name] = nil
            let fromDefaults = { (path: KeyPath) in path.description.hasPrefix("defaults") }
            // A job's (or row's, or block's) own prompt wins over a vendor-named one under defaults.
            if let prompt = combination.prompt, fromDefaults(value.path), !fromDefaults(prompt.path) { continue }
            if let prompt = combination.prompt, fromDefaults(prompt.path) == fromDefaults(value.path) {
                report(
                    "'\(name)' and 'prompt' both set \(modelUse.model.alias)'s prompt (its '\(field.apiKey)' field): set one of them",
                    at: value.mark, path: value.path)
                return false
            }
            guard case .single(let text) = value.value else {
                report("a prompt is one text, not a list", at: value.mark, path: value.path)
                return false
            }
            combination.prompt = resolvePrompt(Located(text, mark: value.mark, path: value.path))
        }
        return true
    }

    /// The prompt, checked against the model's prompt field (dropped when it has none); `nil`
    /// when the model needs one and the combination has none (reported).
    mutating func fitPrompt(_ combination: Combination, _ found: inout FitProblems) -> PromptRef? {
        let modelUse = combination.model
        guard let promptField = modelUse.model.prompt else {
            if combination.prompt != nil { found.dropped.append("prompt") }
            return PromptRef(id: PlanningRun.noPrompt, text: "")
        }
        guard let use = combination.prompt else {
            if !promptField.required { return PromptRef(id: PlanningRun.noPrompt, text: "") }
            report(
                "\(modelUse.model.alias) needs a prompt (its '\(promptField.apiKey)' field): set 'prompt' for these jobs",
                at: combination.origin.mark, path: combination.origin.path)
            return nil
        }
        // Characters are counted only when the bytes could pass the limit (a character is 1 byte
        // or more): counting them is a walk over the text, and this runs once a job.
        if case .string(let maxLength?) = promptField.kind, use.prompt.text.utf8.count > maxLength,
            use.prompt.text.count > maxLength
        {
            found.problems.append(
                (
                    "the prompt is longer than the \(maxLength) characters \(modelUse.model.alias) accepts", use.mark,
                    use.path
                ))
        }
        return use.prompt
    }

    /// The main input, checked against the model's image field (dropped when it has none); `nil`
    /// when the model needs one and the combination has none (reported).
    mutating func fitInput(_ combination: Combination, _ found: inout FitProblems) -> ImageInput? {
        let modelUse = combination.model
        guard let imageField = modelUse.model.image, let imageIndex = modelUse.model.imageIndex else {
            if combination.image != nil { found.dropped.append("image") }
            return ImageInput(id: PlanningRun.noImage, sources: [])
        }
        guard let use = combination.image else {
            if !modelUse.model.fields[imageIndex].required { return ImageInput(id: PlanningRun.noImage, sources: []) }
            report(
                "\(modelUse.model.alias) needs an input image: set 'image' for these jobs", at: combination.origin.mark,
                path: combination.origin.path)
            return nil
        }
        let input = inputs[use.input]
        // An input is checked once per fitting (a model): a table's rows repeat few images.
        if let fit = combination.fit, fit.inputsFine.contains(use.input) { return input }
        let problems = check(input, field: imageField, model: modelUse.model, mark: use.mark, path: use.path)
        if problems.isEmpty {
            combination.fit?.inputsFine.insert(use.input)
        } else {
            found.problems += problems
        }
        return input
    }

    /// The `params` passed through to the body, sorted by key; `nil` when one is a field of the
    /// model (reported: it must be set as that field).
    /// Members of a workflow's run body that its entry sets.
    static let workflowBodyKeys: Set<String> = ["nodeInfoList", "instanceType", "workflowId", "webappId"]

    mutating func checkParams(_ combination: Combination, _ found: inout FitProblems) -> [Param]? {
        let modelUse = combination.model
        var params: [Param] = []
        for param in combination.params {
            let key = param.value.key
            if let type = ModelSpec.commonParams[key], !Self.matches(param.value.value, type) {
                found.problems.append(
                    (
                        "\(modelUse.model.alias) expects \(type.rawValue) for '\(key)', found \(param.value.value.typeName)",
                        param.mark, param.path
                    ))
                continue
            }
            if modelUse.model.workflow != nil, NodeField(key) != nil || Self.workflowBodyKeys.contains(key) {
                let message =
                    NodeField(key) != nil
                    ? "'\(key)' is an input of \(modelUse.model.alias): set it as the field \"\(key)\" (checked against the graph) instead of params"
                    : "'\(key)' is set by \(modelUse.model.alias)'s workflows entry (instance) and its fields, not by params"
                diagnostics.error(message, at: param.mark, path: param.path.description)
                return nil
            }
            if modelUse.model.declares(key) {
                let field = modelUse.model.roleName(of: key) ?? FieldSpec.snakeCase(key)
                diagnostics.error(
                    "'\(key)' is a field of \(modelUse.model.alias); set it as the job field '\(field)' instead of params.\(key)",
                    at: param.mark, path: param.path.description)
                return nil
            }
            params.append(param.value)
        }
        params.sort { $0.key < $1.key }
        return params
    }

    /// A combination that does not fit: skipped (one skipped job per sample) with
    /// `--skip-invalid`, else every problem reported.
    mutating func skipOrReport(
        _ combination: Combination, _ problems: [(message: String, mark: Mark, path: KeyPath)], input: ImageInput,
        prompt: PromptRef
    ) {
        guard options.skipInvalid else {
            for problem in problems { report(problem.message, at: problem.mark, path: problem.path) }
            return
        }
        let summary = Self.summary(
            model: combination.model.model, input: input, prompt: prompt, options: combination.options)
        for _ in 1...combination.samples {
            skipped.append(
                SkippedJob(
                    summary: summary, reason: problems[0].message, mark: problems[0].mark, path: problems[0].path)
            )
        }
    }

    // MARK: Price and shape

    /// What the combination's jobs share, priced: one per fitting and price (all params passed).
    mutating func shape(of combination: Combination, _ fitted: FittedCombination, layout: OutputLayout) -> Boxed<
        JobShape
    > {
        let modelUse = combination.model
        let fit = fitted.fit
        let price =
            fit.price ?? modelUse.model.price.price(for: fit.finalValues, promptLength: fitted.prompt.text.count)
        if let known = fit.shapes[price] { return known }
        var jobShape = JobShape(
            model: modelUse.model.alias, endpoint: modelUse.model.endpoint, options: fit.layoutValues,
            apiOptions: fit.apiOptions,
            params: fitted.params, layoutHasIndex: layout.hasIndex, price: price ?? .zero,
            priceKnown: price != nil, output: modelUse.model.output, media: fit.media, origin: combination.origin
        )
        jobShape.table = combination.table
        if let workflow = modelUse.model.workflow {
            jobShape.sendsFileNames = true
            jobShape.graphSHA256 = workflow.graphSHA256
            jobShape.coinEstimate = Money(micros: Int64(workflow.estimatedCoins ?? 0) * 1_000_000)
        }
        let shape = Boxed(jobShape)
        fit.shapes[price] = shape
        return shape
    }

    // MARK: Identity

    /// The job key's hash over the endpoint, the prompt and the fields (the identity text that
    /// `identityText` makes, in parts): made once per prompt and fitting.
    mutating func identityPrefix(of combination: Combination, _ fitted: FittedCombination) -> SHA256 {
        let fit = fitted.fit
        if let known = fit.identityPrefix, known.prompt == fitted.prompt { return known.hasher }
        // The text is hashed a part after another (the same hash as of the whole text), from
        // the head the fitting's jobs share: a table of a million prompts makes no text.
        var identity: SHA256
        if let head = fit.identityHead {
            identity = head
        } else {
            identity = SHA256()
            identity.update(text: "rh-batch/job/v1\nendpoint:" + combination.model.model.identityEndpoint + "\nprompt:")
            fit.identityHead = identity
        }
        let prompt = fitted.prompt.text
        if JSONValue.needsEscaping(prompt) {
            var literal = ""
            JSONValue.writeString(prompt, to: &literal)
            identity.update(text: literal)
        } else {
            identity.update(text: "\"")
            identity.update(text: prompt)
            identity.update(text: "\"")
        }
        identity.update(text: "\n")
        // Params that fail their check are left out of `params`; the text made ahead assumed all
        // of them, so it is used only when every param passed.
        if let known = fit.identity, fitted.params.count == combination.params.count {
            identity.update(text: known)
        } else {
            identity.update(text: Self.fieldsIdentity((fit.apiOptions + fitted.params).sorted { $0.key < $1.key }))
        }
        fit.identityPrefix = (fitted.prompt, identity)
        return identity
    }

    // MARK: Layout

    /// The safe names of the combination's prompt (kept while the prompt stays: it is the outer
    /// loop) and input (kept per input).
    mutating func safeNames(of combination: Combination, _ fitted: FittedCombination) -> (prompt: String, image: String)
    {
        if lastPromptName?.id != fitted.prompt.id {
            lastPromptName = (fitted.prompt.id, safeNames.name(for: fitted.prompt.id))
        }
        let promptName = lastPromptName!.name
        guard let use = combination.image, !fitted.input.sources.isEmpty else {
            return (promptName, safeNames.name(for: fitted.input.id))
        }
        if inputNames.count <= use.input {
            inputNames += Array(repeating: nil, count: use.input + 1 - inputNames.count)
        }
        if let known = inputNames[use.input] { return (promptName, known) }
        let imageName = safeNames.name(for: fitted.input.id)
        inputNames[use.input] = imageName
        return (promptName, imageName)
    }

    /// Adds one sample's job under `key` at its output path, unless an earlier job has the key
    /// (merged into it) or the path is taken or reserved (an error at the layout).
    mutating func place(
        key: HexDigest, sample: Int, combination: Combination, fitted: FittedCombination, shape: Boxed<JobShape>,
        layout: OutputLayout, names: (prompt: String, image: String)
    ) {
        let modelUse = combination.model
        // This job takes the key now; an earlier job that has it gets it back.
        if let existing = jobIndex.updateValue(jobs.count, forKey: key) {
            jobIndex[key] = existing
            let reason =
                fitted.dropped.isEmpty
                ? "the same job is written twice"
                : "\(modelUse.model.alias) takes no \(fitted.dropped.joined(separator: ", "))"
            merged.append(MergedJob(into: jobs[existing].id, reason: reason, origin: combination.origin))
            return
        }
        func value(_ placeholder: OutputLayout.Placeholder) -> String? {
            switch placeholder {
            case .model: safeNames.name(for: modelUse.model.alias)
            case .endpoint: safeNames.name(for: modelUse.model.endpoint)
            case .image: names.image
            case .prompt: names.prompt
            case .field(let name): fitted.fit.layoutValues[name].map { safeNames.name(for: $0) }
            case .sample: String(sample)
            case .key: key.prefix(12)
            case .node: modelUse.model.workflow == nil ? nil : "{node}"
            case .index, .ext: nil
            }
        }
        // The values a fitting's jobs share are put in place once (a fitting has one model);
        // a fitting of one combination alone (an entry of `jobs`) is rendered whole.
        if fitted.fit.layout == nil, combination.fit != nil { fitted.fit.layout = .some(layout.prepared(value)) }
        var path: String
        if case .some(.some(let prepared)) = fitted.fit.layout {
            path = prepared.render { value($0) ?? "" }
        } else {
            path = layout.render(value)
        }
        // The job that wrote this path first, if one did (this job takes the path meanwhile).
        var clash = paths.updateValue(jobs.count, forKey: PathKey(path))
        // The default layout names only the classic fields: jobs that differ in another field
        // (seed, duration, size) get their short key added instead of an error.
        if clash != nil, manifest.layout == nil {
            paths[PathKey(path)] = clash
            path = path.replacingAll(".{ext}", with: "_\(key.prefix(12)).{ext}")
            clash = paths.updateValue(jobs.count, forKey: PathKey(path))
        }
        if let problem = pathProblem(path, key: key, clash: clash) {
            paths[PathKey(path)] = clash
            jobIndex[key] = nil
            diagnostics.error(
                problem, at: manifest.layout?.mark ?? combination.origin.mark,
                path: manifest.layout == nil ? combination.origin.path.description : "layout")
            return
        }
        var job = PlannedJob(
            digest: key, prompt: fitted.prompt, image: fitted.input, sample: sample, outputTemplate: path, shape: shape)
        job.row = combination.row
        jobs.append(job)
    }

    /// Why the layout cannot give a job `path`: it puts a file where rh-batch keeps its own, or
    /// the job `clash` already writes it.
    func pathProblem(_ path: String, key: HexDigest, clash: Int?) -> String? {
        // Made only for a problem: a million jobs have none.
        var shown: String { path.replacingAll("{ext}", with: "png") }
        if let reserved = Self.reservedName(path) {
            return
                "job \(key.prefix(12)) would write '\(shown)', which puts \(reserved) at the output folder's root, where rh-batch keeps its own files: "
                + "start 'layout' with a folder such as {model}/"
        }
        if let other = clash {
            return "jobs \(jobs[other].id) and \(key.prefix(12)) would both write '\(shown)': "
                + "add a placeholder such as {key} or {sample} to 'layout', or give the images or prompts distinct ids"
        }
        return nil
    }
}
