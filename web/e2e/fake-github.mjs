// A fake GitHub REST API on a free port for the browser tests: it keeps the check
// runs, comments and reviews Agented posts (the Rust tests' fake does the same).
import { createServer } from 'node:http'

export async function startFakeGithub(token) {
  const state = { checkRuns: new Map(), comments: [], reviews: [], nextId: 1000 }
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => (raw += chunk))
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null
      const answer = (status, value) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.headers.authorization !== `Bearer ${token}`) return answer(401, { message: 'Bad credentials' })
      const path = req.url.split('?')[0].split('/').filter(Boolean)
      const id = ++state.nextId
      const route = `${req.method} ${path.map((p, i) => (i === 1 || i === 2 ? '*' : /^\d+$/.test(p) ? 'N' : p)).join('/')}`
      switch (route) {
        case 'POST repos/*/*/check-runs': {
          const run = { ...body, id, history: [body.status] }
          state.checkRuns.set(id, run)
          return answer(201, run)
        }
        case 'PATCH repos/*/*/check-runs/N': {
          const run = state.checkRuns.get(Number(path[4]))
          Object.assign(run, body, { history: [...run.history, body.status] })
          return answer(200, run)
        }
        case 'GET repos/*/*/issues/N/comments':
          return answer(200, state.comments.filter((c) => c.number === Number(path[4])))
        case 'POST repos/*/*/issues/N/comments': {
          const comment = { id, number: Number(path[4]), body: body.body, html_url: `https://github.com/x/y/issues/${path[4]}#issuecomment-${id}` }
          state.comments.push(comment)
          return answer(201, comment)
        }
        case 'PATCH repos/*/*/issues/comments/N': {
          const comment = state.comments.find((c) => c.id === Number(path[5]))
          comment.body = body.body
          return answer(200, comment)
        }
        case 'POST repos/*/*/pulls/N/reviews': {
          const review = { id, ...body, html_url: `https://github.com/x/y/pull/${path[4]}#pullrequestreview-${id}` }
          state.reviews.push(review)
          return answer(200, review)
        }
        default:
          return answer(404, { message: 'Not Found' })
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => new Promise((r) => server.close(r)) }
}
